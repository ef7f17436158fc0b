from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from common.errors import LimitError, NotFoundError
from prompts.phrases import REFUSAL
from retrieval.catalog import Catalog
from retrieval.catalog_schema import SOURCES_TABLE
from retrieval.library import Library
from tests.retrieval.catalog_support import chunks_of, source_text
from tests.retrieval.conftest import CAMPAIGN, GARDEN, NDA, doc


def state(lib: Library) -> tuple[list[Any], int, set[str]]:
    """Everything a user could observe: every catalog row, and every vector id."""
    return lib.catalog.all_sources(), lib.catalog.count_chunks(), lib.index.ids()


def test_add_indexes_both_stores_and_the_same_content_twice_is_one_source(library: Library) -> None:
    first = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="alice")
    assert not first.duplicate and first.source.chunks >= 1
    assert first.source.added_by == "alice" and first.source.added_at
    again = library.add(doc(CAMPAIGN, "Campaign (copy)"), scope="g1", added_by="bob")
    assert again.duplicate and again.source.id == first.source.id
    assert len(library.sources(["g1"])) == 1
    chunk_ids = {c.id for c in chunks_of(library.catalog, first.source.id)}
    assert chunk_ids == library.index.ids()


def test_force_adds_a_second_copy_and_removing_one_keeps_the_other(library: Library) -> None:
    first = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="alice").source
    again = library.add(doc(CAMPAIGN, "Mirror"), scope="g1", added_by="bob", force=True)
    assert not again.duplicate and again.source.id != first.id
    assert again.source.title == "Mirror" and again.source.sha256 == first.sha256
    third = library.add_many(
        [doc(CAMPAIGN, "Third"), doc(CAMPAIGN, "Fourth")], scope="g1", added_by="c", force=True
    )
    ids = {first.id, again.source.id} | {r.source.id for r in third}  # type: ignore[union-attr]
    assert len(ids) == 4 and {s.id for s in library.sources(["g1"])} == ids
    assert {c.id for s in ids for c in chunks_of(library.catalog, s)} == library.index.ids()
    # Without force the oldest copy is named; with the original gone, another copy is.
    assert library.add(doc(CAMPAIGN, "x"), scope="g1", added_by="d").source.id == first.id
    library.remove(first.id, scope="g1")
    left = library.add(doc(CAMPAIGN, "x"), scope="g1", added_by="d")
    assert left.duplicate and left.source.id == again.source.id
    # A removed copy's id is free again, and taken ids are never reused while held.
    readded = library.add(doc(CAMPAIGN, "Back"), scope="g1", added_by="e", force=True).source
    assert readded.id == first.id and len(library.sources(["g1"])) == 4


def test_a_version_1_catalog_is_migrated_and_keeps_its_sources(
    library: Library, tmp_path: Path
) -> None:
    """Version 1 held one copy per content (UNIQUE): opening it drops that, keeping rows."""
    src = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="alice").source
    path = library.catalog.path
    library.catalog.close()
    old = Catalog(path)  # rebuild the v1 table as it was, with the same rows in it
    conn = old._conn()
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.executescript(
        SOURCES_TABLE.format(name="v1").replace(
            "writer    TEXT NOT NULL DEFAULT ''",
            "writer    TEXT NOT NULL DEFAULT '', UNIQUE (scope, sha256)",
        )
        + "INSERT INTO v1 SELECT * FROM sources; DROP TABLE sources;"
        + "ALTER TABLE v1 RENAME TO sources; UPDATE meta SET value = '1' WHERE key = 'schema';"
    )
    old.close()
    raw = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError):  # the old constraint really is there
        raw.execute(
            "INSERT INTO sources SELECT 'other', scope, title, url, kind, added_by, added_at, "
            "sha256, text, status, writer FROM sources"
        )
    raw.close()
    migrated = Catalog(path)
    assert migrated.get_meta("schema") == "2"
    assert migrated.get_source(src.id, ["g1"]) == src
    assert [c.id for c in chunks_of(migrated, src.id)] == [
        c.id for c in chunks_of(library.catalog, src.id)
    ]
    library.catalog = migrated
    copy = library.add(doc(CAMPAIGN, "Copy"), scope="g1", added_by="bob", force=True).source
    assert {s.id for s in library.sources(["g1"])} == {src.id, copy.id}


def test_same_content_in_another_scope_is_a_separate_source(library: Library) -> None:
    a = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="alice").source
    b = library.add(doc(CAMPAIGN, "Campaign"), scope="g2", added_by="bob").source
    assert a.id != b.id
    assert [s.id for s in library.sources(["g1"])] == [a.id]
    # Each scope's vectors live in a collection of their own.
    stored = library.index.ids_by_scope()
    assert set(stored) == {"g1", "g2"}
    assert all(i.startswith(a.id) for i in stored["g1"])
    assert all(i.startswith(b.id) for i in stored["g2"])


def test_remove_takes_the_source_out_of_both_stores(library: Library) -> None:
    keep = library.add(doc(NDA, "NDA"), scope="g1", added_by="a").source
    gone = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a").source
    library.remove(gone.id, scope="g1")
    assert [s.id for s in library.sources(["g1"])] == [keep.id]
    assert all(i.startswith(keep.id) for i in library.index.ids())
    assert library.catalog.keyword_search("suspended accounts", ["g1"], 10) == []
    with pytest.raises(NotFoundError):
        library.remove(gone.id, scope="g1")


def test_remove_from_another_scope_fails_like_a_missing_id(library: Library) -> None:
    src = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a").source
    with pytest.raises(NotFoundError) as foreign:
        library.remove(src.id, scope="g2")
    with pytest.raises(NotFoundError) as missing:
        library.remove("0000000000", scope="g2")
    assert str(foreign.value).replace(src.id, "X") == str(missing.value).replace("0000000000", "X")
    assert len(library.sources(["g1"])) == 1


@pytest.mark.parametrize("exc", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_add_leaves_nothing(
    library: Library, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    library.add(doc(NDA, "NDA"), scope="g1", added_by="a")
    before = state(library)
    real_add = library.index.add
    calls = []

    def failing_add(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        real_add(*args, **kwargs)  # some vectors really land first
        raise exc

    monkeypatch.setattr(library.index, "add", failing_add)
    with pytest.raises(type(exc)):
        library.add(doc(CAMPAIGN * 20, "Long"), scope="g1", added_by="a")
    assert calls
    assert state(library) == before


def test_hybrid_search_finds_by_meaning_and_by_keyword_within_scope(library: Library) -> None:
    library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a")
    library.add(doc(GARDEN, "Garden"), scope="g1", added_by="a")
    library.add(doc(NDA, "NDA"), scope="g2", added_by="a")
    hits, sims = library.retrieve("how many accounts were suspended", ["g1"])
    assert hits[0].chunk.title == "Campaign"
    assert hits[0].dense_rank == 1 and hits[0].keyword_rank == 1
    assert {h.chunk.scope for h in hits} == {"g1"}
    assert set(sims) == {h.chunk.id for h in hits}
    kw, _ = library.retrieve("nondisclosure", ["g1", "g2"], mode="keyword")
    assert [h.chunk.title for h in kw] == ["NDA"]
    for h in hits:
        text = source_text(library.catalog, h.chunk.source_id)
        assert text[h.chunk.start : h.chunk.end] == h.chunk.text


def test_extractive_answer_quotes_verbatim_and_cites(library: Library) -> None:
    library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a")
    library.add(doc(GARDEN, "Garden"), scope="g1", added_by="a")
    answer = library.ask("How many accounts did Twitter suspend?", ["g1"])
    assert not answer.refused and answer.mode == "extractive"
    assert "70 accounts" in answer.answer
    for c in answer.citations:
        assert f"{c.quote} [{c.n}]" in answer.answer
        text = source_text(library.catalog, c.source_id)
        assert text[c.start : c.end] == c.quote
    assert all(c.title == "Campaign" for c in answer.citations)


TIMELINE = """# Campaign timeline

- 26 February 2026: the council approves the plant by 7 votes to 4.
- 27 February 2026: the domain kesslingtruth.org is registered.
- 11 March 2026: Chirper suspends 52 accounts.
"""


def test_a_quote_of_a_list_item_starts_after_its_marker_and_stays_verbatim(
    library: Library,
) -> None:
    library.add(doc(TIMELINE, "Timeline"), scope="g1", added_by="a")
    answer = library.ask("When was the domain kesslingtruth.org registered?", ["g1"])
    assert not answer.refused, answer.notes
    quotes = [c.quote for c in answer.citations]
    assert "27 February 2026: the domain kesslingtruth.org is registered." in quotes
    text = source_text(library.catalog, answer.citations[0].source_id)
    for c in answer.citations:
        assert not c.quote.startswith("-") and text[c.start : c.end] == c.quote
        assert text[c.start - 2 : c.start] == "- "  # the span begins right after the marker
    assert "- " not in answer.answer


def test_unanswerable_questions_are_refused(library: Library) -> None:
    library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a")
    answer = library.ask("What is the boiling point of mercury?", ["g1"])
    assert answer.refused and answer.answer == REFUSAL and answer.citations == []


def test_reindex_rebuilds_the_vector_index_from_the_catalog(library: Library) -> None:
    library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a")
    ids = library.index.ids()
    library.index.reset()
    assert library.index.ids() == set()
    assert library.reindex() == len(ids)
    assert library.index.ids() == ids
    assert library.retrieve("suspended accounts", ["g1"], mode="dense")[0]


def test_add_many_shares_writes_and_keeps_each_source_atomic(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retrieval import source_store as library_module
    from retrieval.vector_store import VectorStoreError

    library.add(doc(NDA, "NDA"), scope="g1", added_by="a")
    docs = [doc(f"Report {i}: {CAMPAIGN}", f"R{i}") for i in range(4)]
    monkeypatch.setattr(library_module, "ADD_BATCH", 2)  # groups of about two chunks
    real_add = library.index.add
    calls: list[int] = []

    def flaky_add(ids: Any, texts: Any, metas: Any) -> None:
        calls.append(len(ids))
        if len(calls) == 2:  # the second group's write fails
            raise VectorStoreError("the Chroma server went away")
        real_add(ids, texts, metas)

    monkeypatch.setattr(library.index, "add", flaky_add)
    results = library.add_many([*docs, doc(NDA, "NDA again"), docs[0]], scope="g1", added_by="b")
    assert isinstance(results[1], VectorStoreError) or isinstance(results[2], VectorStoreError)
    ok = [r for r in results[:4] if not isinstance(r, Exception)]
    assert ok and all(not r.duplicate for r in ok)
    assert results[4].duplicate and results[5].duplicate  # type: ignore[union-attr]
    # Whatever failed left nothing; whatever succeeded is complete in both stores.
    stored = {s.title for s in library.sources(["g1"])}
    assert stored == {"NDA"} | {r.source.title for r in ok}
    chunks = {c.id for s in library.sources(["g1"]) for c in chunks_of(library.catalog, s.id)}
    assert chunks == library.index.ids()
    assert max(calls) > 1  # several documents' chunks went in one write


def test_repetitive_text_is_stored_beside_the_good_files_of_the_same_ingest(
    library: Library,
) -> None:
    """A report quoting a campaign's identical posts once killed the whole ingest."""
    para = "Same campaign-approved language posted by every organizer, word for word today."
    repetitive = [
        doc("a" * 2_000, "chars"),
        doc("\n\n".join([para] * 12), "paragraphs"),
        doc("\n".join(["Identical line."] * 80), "lines"),
    ]
    results = library.add_many(
        [doc(CAMPAIGN, "c"), *repetitive, doc(NDA, "n")], scope="s", added_by="t"
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert len(library.sources(["s"])) == 5


def test_a_source_over_the_chunk_limit_fails_alone_naming_the_setting(
    library: Library,
) -> None:
    small = Library(
        library.data_dir,
        library.config.model_copy(update={"max_chunks_per_source": 3}),
        embeddings=library.embeddings,
        chroma_url=library.chroma_url,
        collection=library.collection,
    )
    long_text = "\n\n".join(
        f"Paragraph {i}: " + "words about the campaign " * 40 for i in range(20)
    )
    results = small.add_many(
        [doc(CAMPAIGN, "c"), doc(long_text, "long"), doc(NDA, "n")], scope="s", added_by="t"
    )
    assert isinstance(results[1], LimitError)
    assert "MAX_CHUNKS_PER_SOURCE" in str(results[1]) and "long" in str(results[1])
    assert "\n" not in str(results[1])
    assert sorted(s.title for s in small.sources(["s"])) == ["c", "n"]


def test_vectors_carry_no_second_copy_of_the_text_and_older_copies_still_read(
    library: Library,
) -> None:
    added = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="alice").source
    collection = library.index._collection("g1", create=False)
    assert collection is not None
    got = collection.get(include=["documents", "metadatas"])
    assert got["ids"] and all(d is None for d in (got["documents"] or [None]))
    assert {m["source_id"] for m in got["metadatas"]} == {added.id}
    # A store written before kept each chunk's text as Chroma's document: it reads the same.
    chunks = chunks_of(library.catalog, added.id)
    ids = [c.id for c in chunks]
    vectors = library.index.vectors(ids, "g1")
    before = library.index.search(vectors[ids[0]], 5, ["g1"])
    collection.upsert(
        ids=ids,
        embeddings=[vectors[i] for i in ids],
        metadatas=[dict(m) for m in collection.get(ids=ids, include=["metadatas"])["metadatas"]],
        documents=[c.text for c in chunks],
    )
    after = library.index.search(vectors[ids[0]], 5, ["g1"])
    assert [i for i, _ in after] == [i for i, _ in before] and before[0][0] == ids[0]
    assert [s for _, s in after] == pytest.approx([s for _, s in before], abs=1e-5)
    hits, _ = library.retrieve(" ".join(CAMPAIGN.split()[:12]), ["g1"], mode="dense")
    assert hits and {h.chunk.source_id for h in hits} == {added.id}
