"""Counts read as English: '1 chunk', never '1 chunks' (a new user saw '1 items')."""

from __future__ import annotations

from bot.render_text import render_source_list
from common.wording import plural
from retrieval.catalog_records import SourceRecord


def test_plural_picks_the_form_by_count() -> None:
    assert plural(1, "item") == "1 item"
    assert plural(0, "item") == "0 items"
    assert plural(1204, "account") == "1,204 accounts"
    assert plural(2, "analysis", "analyses") == "2 analyses"


def _source(chunks: int) -> SourceRecord:
    return SourceRecord(
        id="s1",
        scope="g",
        title="Note",
        origin="note.txt",
        kind="text",
        added_by="me",
        added_at="2026-12-02",
        sha256="0" * 64,
        status="ready",
        chunks=chunks,
    )


def test_sources_list_says_one_chunk_in_the_singular() -> None:
    assert "(1 chunk;" in render_source_list([_source(1)])
    assert "(3 chunks;" in render_source_list([_source(3)])
