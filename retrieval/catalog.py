"""The SQLite catalog: the source of truth for sources and chunks, with FTS5 (BM25) search.

A source is written in two steps so that no half-stored source is ever visible: rows are
inserted as `pending` in one transaction, the vectors are added, then the source is flipped
to `ready`. Every read filters on `ready`. Removal marks `deleting` first. `chorus doctor`
finishes or rolls back whatever a crash left in between (see retrieval/doctor.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from common.errors import ChorusError
from common.processes import writer_alive, writer_tag
from retrieval.catalog_records import (
    CatalogError,
    ChunkRecord,
    DuplicateSourceError,
    NewChunk,
    SourceRecord,
    chunk_from_row,
    source_from_row,
)
from retrieval.catalog_schema import SCHEMA, SCHEMA_VERSION, migrate_1_to_2
from retrieval.keyword_query import KEYWORD_POOL, fts_query, fts_terms

logger = logging.getLogger(__name__)

# Sources with their chunk counts (the `n` that SourceRecord.chunks reads).
_SOURCES_WITH_COUNTS = "SELECT s.*, (SELECT count(*) FROM chunks c WHERE c.source_id = s.id) AS n"


class Catalog:
    """Thread-safe access to the catalog database (one connection per thread, WAL mode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._write_lock:
            conn = self._conn()
            try:
                conn.executescript(SCHEMA)
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                    (SCHEMA_VERSION,),
                )
                if self.get_meta("schema") == "1":
                    migrate_1_to_2(conn)
            except sqlite3.DatabaseError as exc:
                raise CatalogError(f"cannot open catalog {path}: {exc}") from exc

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; writers in this process queue on a lock, others on SQLite."""
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn().execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- writing sources --------------------------------------------------------------
    def begin_source(
        self,
        *,
        source_id: str,
        scope: str,
        title: str,
        origin: str,
        kind: str,
        added_by: str,
        sha256: str,
        text: str,
        chunks: Sequence[NewChunk],
        context: Sequence[tuple[int, int]] = (),
        force: bool = False,
    ) -> None:
        """Insert a source and its chunks as `pending` (invisible to every read).

        The same content already stored in `scope` is refused unless `force`; then only a
        row under this very id stands in the way."""
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT * FROM sources WHERE scope = ? AND sha256 = ?", (scope, sha256)
            ).fetchall()
            for row in rows:
                if force and row["id"] != source_id:
                    continue
                if row["status"] == "ready":
                    raise DuplicateSourceError(source_from_row(row))
                if writer_alive(row["writer"]) and row["writer"] != writer_tag():
                    raise ChorusError(
                        f"the same content is being added by another process ({row['writer']})"
                    )
                if row["status"] == "pending" and row["writer"] == writer_tag():
                    raise ChorusError("the same content is already being added")
                # Left behind by a crashed writer: its rows go; vectors are overwritten below.
                conn.execute("DELETE FROM sources WHERE id = ?", (row["id"],))
            conn.execute(
                "INSERT INTO sources (id, scope, title, url, kind, added_by, added_at, sha256,"
                " text, status, writer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    source_id,
                    scope,
                    title,
                    origin,
                    kind,
                    added_by,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    sha256,
                    text,
                    writer_tag(),
                ),
            )
            conn.executemany(
                "INSERT INTO chunks (id, source_id, idx, start, end_, text) VALUES (?,?,?,?,?,?)",
                [
                    (f"{source_id}:{c.index}", source_id, c.index, c.start, c.end, c.text)
                    for c in chunks
                ],
            )
            conn.executemany(
                "INSERT INTO context_spans (source_id, start, end_) VALUES (?, ?, ?)",
                [(source_id, start, end) for start, end in context],
            )

    def commit_source(self, source_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE sources SET status = 'ready', writer = '' WHERE id = ? "
                "AND status = 'pending'",
                (source_id,),
            )

    def mark_deleting(self, source_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE sources SET status = 'deleting', writer = ? WHERE id = ?",
                (writer_tag(), source_id),
            )

    def delete_source(self, source_id: str) -> None:
        """Remove a source and its chunks (FTS rows go with them through the trigger)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM chunks WHERE source_id = ?", (source_id,))
            conn.execute("DELETE FROM context_spans WHERE source_id = ?", (source_id,))
            conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    def content_ids(self, scope: str, sha256: str) -> set[str]:
        """The ids of every row (in any state) holding this content in `scope`."""
        rows = self._conn().execute(
            "SELECT id FROM sources WHERE scope = ? AND sha256 = ?", (scope, sha256)
        )
        return {str(r[0]) for r in rows}

    # -- reading ----------------------------------------------------------------------
    def source_with_content(self, scope: str, sha256: str) -> SourceRecord | None:
        """The first ready source in `scope` with this content (its oldest copy)."""
        row = self._one(
            f"{_SOURCES_WITH_COUNTS} "
            "FROM sources s WHERE s.scope = ? AND s.sha256 = ? AND s.status = 'ready' "
            "ORDER BY s.added_at, s.id LIMIT 1",
            (scope, sha256),
        )
        return None if row is None else source_from_row(row)

    def get_source(self, source_id: str, scopes: Sequence[str]) -> SourceRecord | None:
        """A ready source visible from `scopes`, else None (absent and foreign look alike)."""
        marks = ",".join("?" * len(scopes))
        row = self._one(
            f"{_SOURCES_WITH_COUNTS} "
            f"FROM sources s WHERE s.id = ? AND s.status = 'ready' AND s.scope IN ({marks})",
            (source_id, *scopes),
        )
        return None if row is None else source_from_row(row)

    def writer_of(self, source_id: str) -> str:
        row = self._one("SELECT writer FROM sources WHERE id = ?", (source_id,))
        return "" if row is None else str(row[0])

    def context_spans(self, source_id: str) -> list[tuple[int, int]]:
        """The source's title, heading and byline spans, in order."""
        rows = self._conn().execute(
            "SELECT start, end_ FROM context_spans WHERE source_id = ? ORDER BY start",
            (source_id,),
        )
        return [(int(a), int(b)) for a, b in rows]

    def source_span(self, source_id: str, start: int, end: int) -> str:
        """source.text[start:end], read without loading the whole text."""
        row = self._one(
            "SELECT substr(text, ?, ?) FROM sources WHERE id = ?",
            (start + 1, max(0, end - start), source_id),
        )
        return "" if row is None else str(row[0])

    def source_length(self, source_id: str) -> int:
        row = self._one("SELECT length(text) FROM sources WHERE id = ?", (source_id,))
        return 0 if row is None else int(row[0])

    def list_sources(self, scopes: Sequence[str]) -> list[SourceRecord]:
        marks = ",".join("?" * len(scopes))
        rows = (
            self._conn()
            .execute(
                f"{_SOURCES_WITH_COUNTS} "
                f"FROM sources s WHERE s.status = 'ready' AND s.scope IN ({marks}) "
                f"ORDER BY s.added_at, s.id",
                tuple(scopes),
            )
            .fetchall()
        )
        return [source_from_row(r) for r in rows]

    def all_sources(self) -> list[SourceRecord]:
        """Every source in every state and scope (for doctor and reindex)."""
        rows = (
            self._conn()
            .execute(f"{_SOURCES_WITH_COUNTS} FROM sources s ORDER BY s.added_at, s.id")
            .fetchall()
        )
        return [source_from_row(r) for r in rows]

    def get_chunks(self, chunk_ids: Sequence[str], scopes: Sequence[str]) -> dict[str, ChunkRecord]:
        """Ready chunks by id, restricted to `scopes`; unknown ids are simply absent.

        CROSS JOIN keeps SQLite from starting at the sources: their rows hold each source's
        whole text, so walking a scope's sources to reach a few chunks is slow (10 ms for
        120 chunks at 50,000)."""
        if not chunk_ids:
            return {}
        id_marks = ",".join("?" * len(chunk_ids))
        scope_marks = ",".join("?" * len(scopes))
        rows = (
            self._conn()
            .execute(
                f"SELECT c.*, s.title, s.url, s.scope FROM chunks c CROSS JOIN sources s "
                f"ON s.id = c.source_id WHERE c.id IN ({id_marks}) AND s.status = 'ready' "
                f"AND s.scope IN ({scope_marks})",
                (*chunk_ids, *scopes),
            )
            .fetchall()
        )
        return {r["id"]: chunk_from_row(r) for r in rows}

    def keyword_search(
        self, query: str, scopes: Sequence[str], limit: int
    ) -> list[tuple[ChunkRecord, float]]:
        """BM25 over chunk text (FTS5, Porter stemming); higher score is better.

        FTS5 first ranks the whole catalog and keeps the best `limit * KEYWORD_POOL`
        matches (its sorter is much cheaper than joining every match to its source); those
        are then filtered by scope. When at least `limit` of them are in scope, they are
        the best in-scope matches (ties aside), since every other in-scope match ranks
        below them. Only when other scopes crowd them out is every match joined and ranked."""
        terms = fts_terms(query)
        if not terms:
            return []
        match = fts_query(terms)
        conn = self._conn()
        pool = limit * KEYWORD_POOL
        ranked = conn.execute(
            "SELECT rowid, bm25(chunks_fts) AS r FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY r LIMIT ?",
            (match, pool),
        ).fetchall()
        if not ranked:
            return []
        scope_marks = ",".join("?" * len(scopes))
        rank_of = {row[0]: float(row[1]) for row in ranked}
        rows = conn.execute(
            f"SELECT c.*, s.title, s.url, s.scope FROM chunks c "
            f"CROSS JOIN sources s ON s.id = c.source_id "
            f"WHERE c.rowid IN ({','.join('?' * len(rank_of))}) AND s.status = 'ready' "
            f"AND s.scope IN ({scope_marks})",
            (*rank_of, *scopes),
        ).fetchall()
        if len(rows) >= limit or len(ranked) < pool:
            rows.sort(key=lambda r: (rank_of[r["rowid"]], r["rowid"]))
            return [(chunk_from_row(r), -rank_of[r["rowid"]]) for r in rows[:limit]]
        rows = conn.execute(
            f"SELECT c.*, s.title, s.url, s.scope, -bm25(chunks_fts) AS score "
            f"FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            f"JOIN sources s ON s.id = c.source_id "
            f"WHERE chunks_fts MATCH ? AND s.status = 'ready' AND s.scope IN ({scope_marks}) "
            f"ORDER BY bm25(chunks_fts), c.rowid LIMIT ?",
            (match, *scopes, limit),
        ).fetchall()
        return [(chunk_from_row(r), float(r["score"])) for r in rows]

    def iter_chunks(self, status: str = "ready") -> Iterator[tuple[ChunkRecord, str]]:
        """All chunks of sources in `status`, with their scope, in a stable order."""
        cursor = self._conn().execute(
            "SELECT c.*, s.title, s.url, s.scope FROM chunks c JOIN sources s "
            "ON s.id = c.source_id WHERE s.status = ? ORDER BY c.source_id, c.idx",
            (status,),
        )
        for row in cursor:
            yield chunk_from_row(row), row["scope"]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT id FROM chunks")}

    def count_chunks(self, status: str = "ready") -> int:
        row = self._one(
            "SELECT count(*) FROM chunks c JOIN sources s ON s.id = c.source_id WHERE s.status = ?",
            (status,),
        )
        return 0 if row is None else int(row[0])

    def orphan_chunk_ids(self) -> list[str]:
        """Chunks whose source row is gone (only possible if foreign keys were bypassed)."""
        return [
            r[0]
            for r in self._conn().execute(
                "SELECT c.id FROM chunks c LEFT JOIN sources s ON s.id = c.source_id "
                "WHERE s.id IS NULL"
            )
        ]

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        with self._tx() as conn:
            conn.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in chunk_ids])

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity check plus the FTS index's."""
        conn = self._conn()
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        try:
            conn.execute("INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"keyword index: {exc}")
        return problems

    def rebuild_keyword_index(self) -> None:
        with self._tx() as conn:
            conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
