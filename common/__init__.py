"""Leaves every layer shares: domain errors, the progress callback, wording, process checks.

This package imports nothing from the project, and every layer may import it (see
tests/test_layers.py).
"""
