"""The dense index: Chroma, embedded on disk or on a Chroma server.

One collection per scope (a Discord server, a DM, the CLI, the demo): a search never needs
a metadata filter, which at 50,000 vectors costs Chroma some 30x the search itself, and one
server's vectors are physically apart from another's. Everything (adding, searching,
housekeeping) talks to the chromadb collection directly.

Vectors are derived data: the catalog holds every chunk and its text, and `reindex` rebuilds
them. So a vector is stored with its id and metadata only, never a second copy of the chunk
text (stores written before this kept one as Chroma's document; nothing reads it, and it
stays until a reindex).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from common.errors import ChorusError

if TYPE_CHECKING:
    from retrieval.embeddings import MiniLMEmbeddings

logger = logging.getLogger(__name__)

COLLECTION = "chorus-chunks"
SCOPE_KEY = "chorus_scope"  # collection metadata: which scope a collection holds


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
    """Add, search, delete and list chunk vectors, one collection per scope."""

    def __init__(
        self,
        embeddings: MiniLMEmbeddings,
        *,
        persist_dir: Path | None = None,
        server_url: str = "",
        collection: str = COLLECTION,
    ) -> None:
        self.embeddings = embeddings
        self.prefix = collection
        self._where = server_url or str(persist_dir)
        self._client = _client(persist_dir, server_url)
        self._lock = threading.Lock()
        self._collections: dict[str, Any] = {}  # scope -> chromadb Collection

    def collection_name(self, scope: str) -> str:
        """A valid, stable collection name for any scope string."""
        return f"{self.prefix}-{hashlib.sha256(scope.encode()).hexdigest()[:16]}"

    def _collection(self, scope: str, *, create: bool) -> Any | None:
        with self._lock:
            if scope in self._collections:
                return self._collections[scope]
        name = self.collection_name(scope)
        try:
            if create:
                found = self._client.get_or_create_collection(
                    name, metadata={"hnsw:space": "cosine", SCOPE_KEY: scope}
                )
            else:
                found = self._client.get_collection(name)
        except Exception as exc:
            if not create and "does not exist" in str(exc).lower():
                return None
            raise VectorStoreError(f"cannot open the vector index at {self._where}: {exc}") from exc
        with self._lock:
            self._collections[scope] = found
        return found

    def add(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, str | int]],
    ) -> None:
        """Embed `texts` and upsert their vectors (each metadata names its scope); the texts
        themselves stay in the catalog."""
        by_scope: dict[str, list[int]] = {}
        for i, meta in enumerate(metadatas):
            by_scope.setdefault(str(meta["scope"]), []).append(i)
        for scope, rows in by_scope.items():
            collection = self._collection(scope, create=True)
            assert collection is not None  # create=True returns one or raises
            vectors = self.embeddings.embed_documents([texts[i] for i in rows])
            try:
                collection.upsert(
                    ids=[ids[i] for i in rows],
                    embeddings=vectors,
                    metadatas=[metadatas[i] for i in rows],
                )
            except Exception as exc:
                raise VectorStoreError(
                    f"cannot write to the vector index at {self._where}: {exc}"
                ) from exc

    def search(
        self, vector: Sequence[float] | np.ndarray, k: int, scopes: Sequence[str]
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks within `scopes`."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        hits: list[tuple[str, float]] = []
        for scope in dict.fromkeys(scopes):
            collection = self._collection(scope, create=False)
            if collection is None:
                continue
            got = collection.query(query_embeddings=query, n_results=k, include=["distances"])
            # Cosine distance in these collections: similarity = 1 - distance.
            hits += [
                (str(i), 1.0 - float(d))
                for i, d in zip(got["ids"][0], got["distances"][0], strict=True)
            ]
        hits.sort(key=lambda h: (-h[1], h[0]))
        return hits[:k]

    def vectors(self, ids: Sequence[str], scope: str) -> dict[str, list[float]]:
        """Stored vectors by id (absent ids are left out)."""
        collection = self._collection(scope, create=False)
        if not ids or collection is None:
            return {}
        got = collection.get(ids=list(ids), include=["embeddings"])
        vectors: Any = got["embeddings"] if got["embeddings"] is not None else []
        return {str(i): [float(x) for x in v] for i, v in zip(got["ids"], vectors, strict=True)}

    def delete(self, ids: Iterable[str], scope: str) -> None:
        collection = self._collection(scope, create=False)
        ids = list(ids)
        if collection is None:
            return
        for start in range(0, len(ids), 1000):
            collection.delete(ids=ids[start : start + 1000])

    def delete_source(self, source_id: str, scope: str) -> None:
        collection = self._collection(scope, create=False)
        if collection is not None:
            collection.delete(where={"source_id": source_id})

    def _all(self) -> list[tuple[str, Any]]:
        """(scope, collection) for every collection of this index."""
        out = []
        for listed in self._client.list_collections():
            name = getattr(listed, "name", listed)
            if not str(name).startswith(self.prefix + "-"):
                continue
            collection = self._client.get_collection(str(name))
            scope = (collection.metadata or {}).get(SCOPE_KEY)
            if scope is not None and self.collection_name(str(scope)) == collection.name:
                out.append((str(scope), collection))
        return out

    def ids_by_scope(self) -> dict[str, set[str]]:
        """Every vector id, per scope (paged; for doctor)."""
        out: dict[str, set[str]] = {}
        for scope, collection in self._all():
            found: set[str] = set()
            offset, page = 0, 5000
            while True:
                got = collection.get(include=[], limit=page, offset=offset)
                found.update(got["ids"])
                if len(got["ids"]) < page:
                    break
                offset += page
            out[scope] = found
        return out

    def ids(self) -> set[str]:
        return set().union(*self.ids_by_scope().values())

    def count(self) -> int:
        return sum(int(c.count()) for _, c in self._all())

    def reset(self) -> None:
        """Drop every vector of this index (the catalog is untouched)."""
        for _, collection in self._all():
            self._client.delete_collection(collection.name)
        with self._lock:
            self._collections.clear()
