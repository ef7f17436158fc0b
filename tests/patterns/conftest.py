"""Fixtures for the coordination engine: a service on a fresh data dir, fixture paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corpus.posts.load import PostLimits
from patterns.config import AnalysisConfig
from patterns.service import PatternService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "posts"
T0 = 1704067200.0  # 2024-01-01T00:00:00Z, the zero of tiny.csv

LIMITS = PostLimits(max_rows=100_000, max_bytes=50_000_000, max_field_chars=10_000, max_columns=50)


def make_service(root: Path, **limits: int) -> PatternService:
    values: dict[str, Any] = {
        "max_rows": LIMITS.max_rows,
        "max_bytes": LIMITS.max_bytes,
        "max_field_chars": LIMITS.max_field_chars,
        "max_columns": LIMITS.max_columns,
    } | limits
    return PatternService(root, AnalysisConfig(), **values)


@pytest.fixture
def svc(tmp_path: Path) -> PatternService:
    return make_service(tmp_path / "datasets")


@pytest.fixture
def tiny() -> Path:
    return FIXTURES / "tiny.csv"
