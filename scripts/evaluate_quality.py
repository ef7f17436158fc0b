#!/usr/bin/env python3
"""Measure answer quality and retrieval quality.

The same as `python -m benchmarks.retrieval.quality`; see benchmarks/retrieval/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root

from benchmarks.retrieval.quality import main

if __name__ == "__main__":
    sys.exit(main())
