"""Benchmarks: `python -m tests.bench.<name> ...`; they print tables and ratios and assert nothing."""
