"""Storing reporting sources across the catalog and the vector index, all or nothing: add
(chunk, embed, pending rows, vectors, ready), remove (deleting-mark first) and reindex. The
catalog (SQLite) is the truth; the vector index is derived from it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from common.errors import ChorusError, LimitError
from common.progress import Progress, no_progress
from corpus.reporting.documents import SourceDocument
from retrieval.catalog import Catalog
from retrieval.catalog_records import ChunkRecord, NewChunk, SourceRecord
from retrieval.config import RetrievalConfig
from retrieval.vector_store import VectorIndex

ADD_BATCH = 64  # chunks embedded and stored per step (one progress tick each)


@dataclass(frozen=True)
class AddResult:
    source: SourceRecord
    duplicate: bool  # the same content was already a source in this scope


def source_id_for(scope: str, sha256: str) -> str:
    """Stable per (scope, content): re-adding after a crash reuses the same id."""
    return hashlib.sha256(f"{scope}\0{sha256}".encode()).hexdigest()[:10]


def _groups(
    items: Sequence[tuple[int, str, list[NewChunk]]], size: int
) -> list[list[tuple[int, str, list[NewChunk]]]]:
    """Consecutive documents in groups of about `size` chunks (a big one is a group alone)."""
    groups: list[list[tuple[int, str, list[NewChunk]]]] = []
    current: list[tuple[int, str, list[NewChunk]]] = []
    count = 0
    for item in items:
        if current and count + len(item[2]) > size:
            groups.append(current)
            current, count = [], 0
        current.append(item)
        count += len(item[2])
    if current:
        groups.append(current)
    return groups


def _metadata(chunk: ChunkRecord | NewChunk, source_id: str, scope: str) -> dict[str, str | int]:
    return {"source_id": source_id, "scope": scope, "index": chunk.index}


class SourceStore:
    """Writes to both stores. The index and the config are read when used (the index is
    made on first use: importing Chroma costs about a second)."""

    def __init__(
        self,
        catalog: Catalog,
        index: Callable[[], VectorIndex],
        config: Callable[[], RetrievalConfig],
        encodings: Callable[[], None],
    ) -> None:
        self.catalog = catalog
        self.index = index
        self.config = config
        self.encodings = encodings  # installs the offline token encodings chunking needs

    def find(self, sha256: str, scope: str) -> SourceRecord | None:
        """The ready source in `scope` with this content (its oldest copy), if any."""
        return self.catalog.source_with_content(scope, sha256)

    def _copy_id(self, scope: str, sha256: str, taken: set[str]) -> str:
        """An id for one more copy of this content: the stable id while it is free, then
        the first free numbered one (ids of removed copies are reused)."""
        taken = taken | self.catalog.content_ids(scope, sha256)
        n = 0
        while (sid := source_id_for(scope, sha256 if n == 0 else f"{sha256}\0{n}")) in taken:
            n += 1
        return sid

    def add_many(
        self,
        docs: Sequence[SourceDocument],
        *,
        scope: str,
        added_by: str,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> list[AddResult | ChorusError]:
        """Several documents, each all or nothing; small ones share their vector writes.

        Content already stored in `scope` (or earlier in `docs`) is not stored again: its
        result names the source that holds it. With `force` every document is a new source.
        A document whose storing fails gets its error in its place; the others still land.
        An interruption (Ctrl-C) leaves every document not yet committed out entirely.
        """
        results: list[AddResult | ChorusError | None] = [None] * len(docs)
        first_of: dict[str, int] = {}  # sha256 -> index of its first occurrence here
        fresh: list[tuple[int, str, list[NewChunk]]] = []
        ids: set[str] = set()  # given to forced copies in this call
        for i, doc in enumerate(docs):
            existing = None if force else self.find(doc.sha256, scope)
            if existing is not None:
                results[i] = AddResult(existing, duplicate=True)
            elif force or doc.sha256 not in first_of:
                first_of.setdefault(doc.sha256, i)
                try:  # one document that cannot be chunked fails alone
                    chunks = self._chunks(doc)
                except ChorusError as exc:
                    results[i] = exc
                    continue
                sid = (
                    self._copy_id(scope, doc.sha256, ids)
                    if force
                    else source_id_for(scope, doc.sha256)
                )
                ids.add(sid)
                fresh.append((i, sid, chunks))
        total = sum(len(chunks) for _, _, chunks in fresh)
        done = 0
        progress("embedding", 0, total)
        for group in _groups(fresh, ADD_BATCH):
            try:
                self._store_group(group, docs, scope=scope, added_by=added_by, force=force)
                for i, sid, _ in group:
                    record = self.catalog.get_source(sid, [scope])
                    assert record is not None
                    results[i] = AddResult(record, duplicate=False)
            except ChorusError as exc:  # e.g. the vector store went away: these fail, next may not
                for i, _, _ in group:
                    results[i] = exc
            done += sum(len(chunks) for _, _, chunks in group)
            progress("embedding", done, total)
        for i, doc in enumerate(docs):  # a repeat within this call shares its first's fate
            if results[i] is None:
                first = results[first_of[doc.sha256]]
                results[i] = (
                    AddResult(first.source, duplicate=True)
                    if isinstance(first, AddResult)
                    else first
                )
        return [r for r in results if r is not None]

    def _chunks(self, doc: SourceDocument) -> list[NewChunk]:
        # langchain-text-splitters imports langchain-core: paid when adding, not when asking.
        from retrieval.chunking import split_text  # noqa: PLC0415

        self.encodings()
        chunks = split_text(
            doc.text,
            chunk_tokens=self.config().chunk_tokens,
            overlap=self.config().chunk_overlap,
            encoding=self.config().encoding,
        )
        limit = self.config().max_chunks_per_source
        if len(chunks) > limit:
            raise LimitError(
                f"{doc.title}: {len(chunks):,} chunks, over the limit of {limit:,} per source "
                "(CHORUS_RETRIEVAL__MAX_CHUNKS_PER_SOURCE); split it or raise the limit"
            )
        return [NewChunk(c.index, c.start, c.end, c.text) for c in chunks]

    def _store_group(
        self,
        group: Sequence[tuple[int, str, list[NewChunk]]],
        docs: Sequence[SourceDocument],
        *,
        scope: str,
        added_by: str,
        force: bool = False,
    ) -> None:
        """Pending rows, then the vectors, then ready: no reader ever sees half a source."""
        index = self.index()  # open it before anything is written
        begun: list[str] = []
        ids: list[str] = []
        try:
            for i, sid, chunks in group:
                doc = docs[i]
                self.catalog.begin_source(
                    source_id=sid,
                    scope=scope,
                    title=doc.title,
                    origin=doc.origin,
                    kind=doc.kind,
                    added_by=added_by,
                    sha256=doc.sha256,
                    text=doc.text,
                    chunks=chunks,
                    context=doc.context,
                    force=force,
                )
                begun.append(sid)
            rows = [(sid, c) for _, sid, chunks in group for c in chunks]
            ids = [f"{sid}:{c.index}" for sid, c in rows]
            for start in range(0, len(rows), ADD_BATCH):
                part = rows[start : start + ADD_BATCH]
                index.add(
                    ids[start : start + ADD_BATCH],
                    [c.text for _, c in part],
                    [_metadata(c, sid, scope) for sid, c in part],
                )
            for sid in begun:
                self.catalog.commit_source(sid)
        except BaseException:
            # Failed or interrupted: leave nothing behind (doctor handles a hard kill).
            try:
                index.delete(ids, scope)
            finally:
                for sid in begun:
                    self.catalog.delete_source(sid)
            raise

    def remove(self, record: SourceRecord) -> SourceRecord:
        """Remove a source from both stores (deleting-mark first: crash-safe)."""
        self.catalog.mark_deleting(record.id)
        self.index().delete_source(record.id, record.scope)
        self.catalog.delete_source(record.id)
        return record

    def reindex(self, progress: Progress = no_progress) -> int:
        """Rebuild the vector index from the catalog; returns the number of chunks indexed."""
        index = self.index()
        total = self.catalog.count_chunks()
        index.reset()
        done = 0
        batch: list[tuple[ChunkRecord, str]] = []
        progress("reindexing", 0, total)
        for item in self.catalog.iter_chunks():
            batch.append(item)
            if len(batch) == ADD_BATCH:
                self.index_chunks(batch)
                done += len(batch)
                progress("reindexing", done, total)
                batch = []
        if batch:
            self.index_chunks(batch)
            done += len(batch)
            progress("reindexing", done, total)
        return done

    def index_chunks(self, batch: Sequence[tuple[ChunkRecord, str]]) -> None:
        self.index().add(
            [c.id for c, _ in batch],
            [c.text for c, _ in batch],
            [_metadata(c, c.source_id, scope) for c, scope in batch],
        )
