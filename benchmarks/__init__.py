"""Benchmarks: `make bench` (python -m benchmarks). Numbers, not pass/fail."""
