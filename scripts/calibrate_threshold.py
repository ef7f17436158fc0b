#!/usr/bin/env python3
"""Calibrate the extractive refusal threshold.

The same as `python -m benchmarks.retrieval.calibrate`; see benchmarks/retrieval/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root

from benchmarks.retrieval.calibrate import main

if __name__ == "__main__":
    sys.exit(main())
