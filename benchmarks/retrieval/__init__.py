"""Retrieval benchmarks: threshold calibration, answer quality, speed (see README.md)."""
