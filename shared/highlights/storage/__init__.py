"""ObjectStore adapters: a local folder (local.py) and OSS."""
