"""Leaves every layer shares: domain errors, the progress callback, wording, process checks,
the deadline helper.

This package imports nothing from the project, and every layer may import it (see
tests/test_layers.py).
"""
