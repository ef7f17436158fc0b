"""Benchmarks of the coordination engine (not run by CI): see README.md."""
