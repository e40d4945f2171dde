"""The suites share what tests/support.py holds; fixtures live beside the tests that use them."""
