"""Producer adapters: ICE, the local render engine, and an in-memory fake (tests, benchmarks)."""
