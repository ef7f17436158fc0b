"""Keyword search (SQLite FTS5, BM25): the words it searches for, ranking and scopes."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.catalog import Catalog
from retrieval.catalog_records import NewChunk
from retrieval.keyword_query import KEYWORD_POOL, fts_query, fts_terms


def add(catalog: Catalog, source_id: str, scope: str, texts: list[str]) -> None:
    chunks, start = [], 0
    for i, text in enumerate(texts):
        chunks.append(NewChunk(index=i, start=start, end=start + len(text), text=text))
        start += len(text) + 1
    catalog.begin_source(
        source_id=source_id,
        scope=scope,
        title=source_id,
        origin=f"pasted:{source_id}",
        kind="text",
        added_by="test",
        sha256=source_id,
        text=" ".join(texts),
        chunks=chunks,
    )
    catalog.commit_source(source_id)


def every_match(catalog: Catalog, query: str, scopes: list[str]) -> list[str]:
    """The reference: every match in scope ranked by BM25, by a plain SQL query."""
    marks = ",".join("?" * len(scopes))
    rows = (
        catalog._conn()
        .execute(
            f"SELECT c.id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            f"JOIN sources s ON s.id = c.source_id WHERE chunks_fts MATCH ? "
            f"AND s.status = 'ready' AND s.scope IN ({marks}) "
            f"ORDER BY bm25(chunks_fts), c.rowid",
            (fts_query(fts_terms(query)), *scopes),
        )
        .fetchall()
    )
    return [r[0] for r in rows]


def test_terms_leave_out_stopwords_repeats_and_contraction_halves() -> None:
    terms = fts_terms("Don't the U.S. accounts post the same link? Accounts, 2 of them.")
    assert terms == ["don", "accounts", "post", "same", "link", "2"]
    assert fts_terms("the of and") == []
    assert fts_query(["near", "or"]) == '"near" OR "or"'  # operators stay words


@pytest.fixture
def crowded(tmp_path: Path) -> Catalog:
    """Server g2 holds many strong matches for 'phone farm'; g1 a few weaker ones."""
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    strong = [f"phone farm phone farm report {i}" for i in range(KEYWORD_POOL * 10 + 7)]
    add(catalog, "g2-bulk", "g2", strong)
    weak = [f"a long memo about many things, one of them a phone farm, item {i}" for i in range(3)]
    add(catalog, "g1-memo", "g1", weak)
    add(catalog, "g1-other", "g1", [f"unrelated note {i}" for i in range(50)])
    add(catalog, "demo", "demo", ["The farm of phones in the demo"])
    return catalog


@pytest.mark.parametrize(
    ("scopes", "limit"),
    [
        (["g1"], 10),  # crowded out of the first pool: every match is ranked
        (["g2"], 10),  # the pool alone holds the answer
        (["g1", "g2"], 5),
        (["g1", "demo"], 2),
        (["g2", "demo"], 200),  # fewer matches than asked for
        (["nobody"], 10),
    ],
)
def test_results_equal_ranking_every_match(crowded: Catalog, scopes: list[str], limit: int) -> None:
    got = crowded.keyword_search("phone farm", scopes, limit)
    assert [c.id for c, _ in got] == every_match(crowded, "phone farm", scopes)[:limit]
    assert all(c.scope in scopes for c, _ in got)
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)


def test_a_crowded_out_scope_still_finds_its_matches(crowded: Catalog) -> None:
    got = crowded.keyword_search("phone farm", ["g1"], 10)
    assert sorted(c.source_id for c, _ in got) == ["g1-memo"] * 3
