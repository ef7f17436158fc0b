"""Counts read as English: '1 chunk', never '1 chunks' (a new user saw '1 items')."""

from __future__ import annotations

from bot.render_text import render_source_list
from common.wording import plural, window_text
from retrieval.catalog_records import SourceRecord


def test_plural_picks_the_form_by_count() -> None:
    assert plural(1, "item") == "1 item"
    assert plural(0, "item") == "0 items"
    assert plural(1204, "account") == "1,204 accounts"
    assert plural(2, "analysis", "analyses") == "2 analyses"


def test_a_window_reads_in_seconds_at_most_two_digits_below_10_s() -> None:
    assert [window_text(x) for x in (8.571428, 1.0, 0.25, 9.96, 60.0, 59.6, 300.0)] == [
        "8.6 s",
        "1 s",
        "0.25 s",
        "10 s",
        "60 s",
        "60 s",
        "300 s",
    ]


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
