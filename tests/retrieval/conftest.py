from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corpus.documents import SourceDocument, make_document
from retrieval.config import RetrievalConfig
from retrieval.library import Library

CAMPAIGN = """Twitter suspended 70 accounts that posted identical pro-Bloomberg messages.
A Twitter spokesman said the accounts violated rules against platform manipulation and spam.

Deputy field organizers were paid $2,500 per month to post campaign-approved language."""

NDA = """Bloomberg agreed to release three women from nondisclosure agreements.
Senator Elizabeth Warren had pressed him to release them."""

GARDEN = """Tomatoes grow best in full sun with regular watering.
Prune the lower leaves to keep the plants healthy."""


def doc(text: str, title: str) -> SourceDocument:
    return make_document(text, title=title, origin=f"test:{title}", kind="text")


@pytest.fixture
def library(tmp_path: Path, embeddings: Any, monkeypatch: pytest.MonkeyPatch) -> Library:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    return Library(tmp_path / "data", RetrievalConfig(), embeddings=embeddings)
