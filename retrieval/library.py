"""The reporting library: adds, removes and re-indexes sources across catalog and vector index,
and answers from them. The catalog (SQLite) is the truth; the vector index is derived.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.errors import ChorusError, LimitError, NotFoundError
from common.progress import Progress, no_progress
from corpus.reporting.documents import SourceDocument
from retrieval.catalog import Catalog, ChunkRecord, NewChunk, SourceRecord
from retrieval.citations import Answer
from retrieval.claim_check import CheckResult, check_claim
from retrieval.config import RetrievalConfig
from retrieval.cross_encoder import MODEL_FILE as CROSS_ENCODER_FILE
from retrieval.cross_encoder import CrossEncoder, load_cross_encoder
from retrieval.embeddings import MODEL_ID, MiniLMEmbeddings
from retrieval.extractive import Candidate, candidate_sentences, extractive_answer
from retrieval.generated import build_passages, generated_answer
from retrieval.lexical import content_stems
from retrieval.search import Hit, HybridSearcher, Mode, QueryVectors
from retrieval.sentence_scorer import SCORER_FILE, SentenceScorer, load_scorer
from retrieval.tokens import install_offline_encodings
from retrieval.vector_store import COLLECTION, VectorIndex

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)

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


class Library:
    def __init__(
        self,
        data_dir: Path,
        config: RetrievalConfig,
        *,
        chroma_url: str = "",
        collection: str = COLLECTION,
        embeddings: MiniLMEmbeddings | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.config = config
        self.chroma_url = chroma_url
        self.collection = collection
        self.catalog = Catalog(data_dir / "catalog.sqlite3")
        self.embeddings = embeddings or MiniLMEmbeddings(batch_size=config.embed_batch)
        self._index: VectorIndex | None = None
        self._searcher: HybridSearcher | None = None
        self._sentence_vectors = QueryVectors(self.embeddings, size=8192)
        self._lock = threading.Lock()
        self._check_embedding_model()

    def _check_embedding_model(self) -> None:
        recorded = self.catalog.get_meta("embedding_model")
        if recorded is None:
            self.catalog.set_meta("embedding_model", MODEL_ID)
        elif recorded != MODEL_ID:
            raise ChorusError(
                f"the index was built with {recorded}, this version uses {MODEL_ID}: "
                "run `chorus sources reindex`"
            )

    # -- components, made on first use (importing Chroma costs about a second) ----------
    @property
    def index(self) -> VectorIndex:
        with self._lock:
            if self._index is None:
                self._index = VectorIndex(
                    self.embeddings,
                    persist_dir=None if self.chroma_url else self.data_dir / "chroma",
                    server_url=self.chroma_url,
                    collection=self.collection,
                )
            return self._index

    @property
    def searcher(self) -> HybridSearcher:
        index = self.index
        with self._lock:
            if self._searcher is None:
                self._searcher = HybridSearcher(
                    self.catalog,
                    index,
                    self.embeddings,
                    candidates=self.config.candidates,
                    rrf_k=self.config.rrf_k,
                )
            return self._searcher

    def _encodings(self) -> None:
        install_offline_encodings(self.data_dir / "cache" / "tiktoken")

    # -- sources --------------------------------------------------------------------------
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

    def add(
        self,
        doc: SourceDocument,
        *,
        scope: str,
        added_by: str,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> AddResult:
        """Chunk, embed and store one document, all or nothing."""
        result = self.add_many(
            [doc], scope=scope, added_by=added_by, progress=progress, force=force
        )[0]
        if isinstance(result, ChorusError):
            raise result
        return result

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

        self._encodings()
        chunks = split_text(
            doc.text,
            chunk_tokens=self.config.chunk_tokens,
            overlap=self.config.chunk_overlap,
            encoding=self.config.encoding,
        )
        limit = self.config.max_chunks_per_source
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
        index = self.index  # open it before anything is written
        begun: list[str] = []
        ids: list[str] = []
        try:
            for i, sid, chunks in group:
                doc = docs[i]
                self.catalog.begin_source(
                    source_id=sid,
                    scope=scope,
                    title=doc.title,
                    url=doc.origin,
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

    def get(self, source_id: str, scopes: Sequence[str]) -> SourceRecord:
        record = self.catalog.get_source(source_id, scopes)
        if record is None:
            raise NotFoundError(f"no source with id {source_id}")
        return record

    def sources(self, scopes: Sequence[str]) -> list[SourceRecord]:
        return self.catalog.list_sources(scopes)

    def remove(self, source_id: str, *, scope: str) -> SourceRecord:
        """Remove a source of `scope` from both stores (deleting-mark first: crash-safe)."""
        record = self.get(source_id, [scope])
        self.catalog.mark_deleting(record.id)
        self.index.delete_source(record.id, record.scope)
        self.catalog.delete_source(record.id)
        return record

    def reindex(self, progress: Progress = no_progress) -> int:
        """Rebuild the vector index from the catalog; returns the number of chunks indexed."""
        index = self.index
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
        self.index.add(
            [c.id for c, _ in batch],
            [c.text for c, _ in batch],
            [_metadata(c, c.source_id, scope) for c, scope in batch],
        )

    # -- answering ------------------------------------------------------------------------
    def retrieve(
        self, query: str, scopes: Sequence[str], *, k: int | None = None, mode: Mode = "hybrid"
    ) -> tuple[list[Hit], dict[str, float]]:
        """Top hits and each hit's cosine similarity to the query."""
        searcher = self.searcher
        hits = searcher.search(query, scopes, k or self.config.top_k, mode)
        sims = {h.chunk.id: h.dense for h in hits if h.dense is not None}
        missing: dict[str, list[str]] = {}
        for h in hits:
            if h.dense is None:  # found by keyword only: its vector gives a comparable score
                missing.setdefault(h.chunk.scope, []).append(h.chunk.id)
        if missing:
            qv = searcher.vectors.get(query)
            for scope, ids in missing.items():
                for cid, vec in self.index.vectors(ids, scope).items():
                    sims[cid] = float(np.dot(qv, np.asarray(vec, dtype=np.float32)))
        return hits, sims

    @property
    def scorer(self) -> SentenceScorer:
        return load_scorer(
            Path(self.config.scorer_file) if self.config.scorer_file else SCORER_FILE
        )

    @property
    def cross_encoder(self) -> CrossEncoder:
        return load_cross_encoder(
            Path(self.config.cross_encoder_file)
            if self.config.cross_encoder_file
            else CROSS_ENCODER_FILE
        )

    def candidates(self, question: str, scopes: Sequence[str]) -> list[Candidate]:
        # A missing or damaged model file stops here, before any search.
        joint = self.config.sentence_scorer == "cross_encoder"
        encoder = self.cross_encoder if joint else None
        scorer = None if joint else self.scorer
        if encoder is not None:
            encoder.check()
        if not content_stems(question):
            return []  # only stopwords, emoji or punctuation: nothing to look for
        hits, sims = self.retrieve(question, scopes)
        if encoder is not None:
            return candidate_sentences(
                question,
                hits,
                sims,
                self.catalog,
                scorer=None,
                max_scored=self.config.max_scored_sentences,
                cross_encoder=encoder,
            )
        return candidate_sentences(
            question,
            hits,
            sims,
            self.catalog,
            scorer=scorer,
            query_vector=self.searcher.vectors.get(question),
            embed=self._sentence_vectors.get_many,
            max_scored=self.config.max_scored_sentences,
        )

    def ask(
        self,
        question: str,
        scopes: Sequence[str],
        *,
        model: BaseChatModel | None = None,
        model_name: str = "",
        history: tuple[str, str] | None = None,
    ) -> Answer:
        # A follow-up is retrieved with the earlier question, so "and why?" finds its topic.
        query = f"{history[0]} {question}" if history else question
        if model is None:
            return extractive_answer(
                question,
                self.candidates(query, scopes),
                min_evidence=self.config.min_evidence,
                max_sentences=self.config.max_answer_sentences,
            )
        self._encodings()
        hits, sims = self.retrieve(query, scopes)
        return generated_answer(
            question,
            build_passages(hits, sims, self.catalog),
            model=model,
            model_name=model_name,
            context_tokens=self.config.context_tokens,
            encoding=self.config.encoding,
            history=history,
        )

    def check(
        self,
        claim: str,
        scopes: Sequence[str],
        *,
        model: BaseChatModel | None = None,
        model_name: str = "",
    ) -> CheckResult:
        return check_claim(
            claim,
            self.candidates(claim, scopes),
            min_evidence=self.config.min_claim_evidence,
            model=model,
            model_name=model_name,
        )
