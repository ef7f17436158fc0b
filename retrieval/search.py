"""Hybrid retrieval: dense (Chroma) and keyword (FTS5 BM25) fused by reciprocal rank fusion."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from retrieval.catalog import Catalog
from retrieval.catalog_records import ChunkRecord
from retrieval.embeddings import MiniLMEmbeddings
from retrieval.vector_store import VectorIndex

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "keyword"]


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk, with where it came from and how each retriever ranked it."""

    chunk: ChunkRecord
    score: float  # fused RRF score (or the single retriever's score in a single mode)
    dense: float | None  # cosine similarity to the query, when the dense retriever found it
    dense_rank: int | None
    keyword_rank: int | None


def rrf(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    """Reciprocal rank fusion: sum over rankings of 1 / (k + rank), ranks from 1."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


class QueryVectors:
    """A small LRU of query embeddings (follow-ups and retries ask the same thing)."""

    def __init__(self, embeddings: MiniLMEmbeddings, size: int = 256) -> None:
        self._embeddings = embeddings
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                cached: np.ndarray = self._cache[text]
                return cached
        vector: np.ndarray = self._embeddings.embed_array([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector

    def get_many(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts` (rows in order); the ones not cached are embedded in one batch."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            fresh = self._embeddings.embed_array(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._cache[text] = vector
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
            found = dict(zip(missing, fresh, strict=True))
        else:
            found = {}
        with self._lock:
            rows = [found[t] if t in found else self._cache[t] for t in texts]
            for t in texts:
                if t in self._cache:
                    self._cache.move_to_end(t)
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


class HybridSearcher:
    def __init__(
        self,
        catalog: Catalog,
        index: VectorIndex,
        embeddings: MiniLMEmbeddings,
        *,
        candidates: int = 30,
        rrf_k: int = 60,
    ) -> None:
        self.catalog = catalog
        self.index = index
        self.vectors = QueryVectors(embeddings)
        self.candidates = candidates
        self.rrf_k = rrf_k

    def search(self, query: str, scopes: Sequence[str], k: int, mode: Mode = "hybrid") -> list[Hit]:
        dense: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.index.search(self.vectors.get(query), self.candidates, scopes)
        keyword: list[tuple[ChunkRecord, float]] = []
        if mode in ("hybrid", "keyword"):
            keyword = self.catalog.keyword_search(query, scopes, self.candidates)

        # The catalog is the truth: a vector whose chunk is not ready (or not in scope) is
        # dropped here, so a half-written or half-deleted source is never cited.
        records = {c.id: c for c, _ in keyword}
        missing = [cid for cid, _ in dense if cid not in records]
        records.update(self.catalog.get_chunks(missing, scopes))
        dense = [(cid, sim) for cid, sim in dense if cid in records]

        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        dense_sim = dict(dense)
        kw_rank = {c.id: r for r, (c, _) in enumerate(keyword, start=1)}
        if mode == "dense":
            scores = dense_sim
        elif mode == "keyword":
            scores = {c.id: s for c, s in keyword}
        else:
            scores = rrf([[cid for cid, _ in dense], [c.id for c, _ in keyword]], self.rrf_k)
        ranked = sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]
        return [
            Hit(
                chunk=records[cid],
                score=scores[cid],
                dense=dense_sim.get(cid),
                dense_rank=dense_rank.get(cid),
                keyword_rank=kw_rank.get(cid),
            )
            for cid in ranked
        ]
