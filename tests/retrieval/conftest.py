from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus.reporting.documents import SourceDocument, make_document
from retrieval.config import RetrievalConfig
from retrieval.library import Library

CAMPAIGN = """Twitter suspended 70 accounts that posted identical pro-Bloomberg messages.
A Twitter spokesman said the accounts violated rules against platform manipulation and spam.

Deputy field organizers were paid $2,500 per month to post campaign-approved language."""

NDA = """Bloomberg agreed to release three women from nondisclosure agreements.
Senator Elizabeth Warren had pressed him to release them."""

GARDEN = """Tomatoes grow best in full sun with regular watering.
Prune the lower leaves to keep the plants healthy."""

# Set by .ci/run, which starts `chroma run` on loopback; without it server tests skip.
SERVER_URL = os.environ.get("CHROMA_TEST_URL", "")


def doc(text: str, title: str) -> SourceDocument:
    return make_document(text, title=title, origin=f"test:{title}", kind="text")


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("server", marks=pytest.mark.server),
    ]
)
def library(
    request: pytest.FixtureRequest, tmp_path: Path, embeddings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Library]:
    """A fresh library on each vector-store backend: every test here runs on both."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    if request.param == "server":
        if not SERVER_URL:
            pytest.skip("no Chroma server (CHROMA_TEST_URL unset; .ci/run starts one)")
        collection = f"test-{uuid.uuid4().hex[:12]}"
        lib = Library(
            tmp_path / "data",
            RetrievalConfig(),
            chroma_url=SERVER_URL,
            collection=collection,
            embeddings=embeddings,
        )
        yield lib
        lib.index.reset()
    else:
        yield Library(tmp_path / "data", RetrievalConfig(), embeddings=embeddings)
