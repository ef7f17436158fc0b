"""The dense index: Chroma through langchain-chroma, embedded on disk or on a Chroma server.

Vectors are derived data: the catalog holds every chunk, and `rebuild` makes the index again
from it. Each vector's id is its chunk id; metadata carries source id and scope so searches
can be restricted to what a server may see.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from corpus.errors import ChorusError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

COLLECTION = "chorus-chunks"


class VectorStoreError(ChorusError):
    """The vector store cannot be reached or used."""


def _client(persist_dir: Path | None, server_url: str) -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb  # noqa: PLC0415 - heavy import, paid only when the index is used

    settings = chromadb.config.Settings(anonymized_telemetry=False)
    if server_url:
        parsed = urlparse(server_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise VectorStoreError(
                f"bad setting CHORUS_CHROMA_URL: {server_url!r} is not an http(s) URL"
            )
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise VectorStoreError(
                f"cannot reach the Chroma server at {server_url}: {exc}"
            ) from exc
    if persist_dir is None:
        return chromadb.EphemeralClient(settings=settings)
    persist_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(persist_dir), settings=settings)


class VectorIndex:
    """Add, search, delete and list chunk vectors."""

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        persist_dir: Path | None = None,
        server_url: str = "",
        collection: str = COLLECTION,
    ) -> None:
        from langchain_chroma import Chroma  # noqa: PLC0415 - heavy import

        self.embeddings = embeddings
        self._collection_name = collection
        self._client = _client(persist_dir, server_url)
        try:
            self._store = Chroma(
                collection_name=collection,
                client=self._client,
                embedding_function=embeddings,
                collection_metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:
            where = server_url or str(persist_dir)
            raise VectorStoreError(f"cannot open the vector index at {where}: {exc}") from exc

    def add(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, str | int]],
    ) -> None:
        """Upsert chunks, embedded by our embedding class through langchain-chroma."""
        if ids:
            self._store.add_texts(list(texts), metadatas=list(metadatas), ids=list(ids))

    def search(
        self, vector: Sequence[float] | np.ndarray, k: int, scopes: Sequence[str]
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks within `scopes`."""
        where: dict[str, Any] = (
            {"scope": scopes[0]} if len(scopes) == 1 else {"scope": {"$in": list(scopes)}}
        )
        hits = self._store.similarity_search_by_vector_with_relevance_scores(
            [float(x) for x in vector], k=k, filter=where
        )
        # Chroma returns cosine distance for this collection; similarity = 1 - distance.
        return [(str(doc.id), 1.0 - float(dist)) for doc, dist in hits]

    def vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors by id (absent ids are left out)."""
        if not ids:
            return {}
        got = self._store._collection.get(ids=list(ids), include=["embeddings"])
        vectors: Any = got["embeddings"] if got["embeddings"] is not None else []
        return {str(i): [float(x) for x in v] for i, v in zip(got["ids"], vectors, strict=True)}

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 1000):
            self._store.delete(ids=ids[start : start + 1000])

    def delete_source(self, source_id: str) -> None:
        self._store._collection.delete(where={"source_id": source_id})

    def ids(self) -> set[str]:
        """Every vector id in the collection (paged, for doctor)."""
        out: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self._store._collection.get(include=[], limit=page, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < page:
                return out
            offset += page

    def count(self) -> int:
        return int(self._store._collection.count())

    def reset(self) -> None:
        """Drop every vector (the catalog is untouched)."""
        self._store.reset_collection()
