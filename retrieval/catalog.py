"""The SQLite catalog: the source of truth for sources and chunks, with FTS5 (BM25) search.

A source is written in two steps so that no half-stored source is ever visible: rows are
inserted as `pending` in one transaction, the vectors are added, then the source is flipped
to `ready`. Every read filters on `ready`. Removal marks `deleting` first. `chorus doctor`
finishes or rolls back whatever a crash left in between (see retrieval/doctor.py).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from common.errors import ChorusError
from common.processes import process_alive
from retrieval.lexical import STOPWORDS

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "2"  # 2: one content may be stored twice in a scope (added with force)

# The sources table under a given name (the version 1 -> 2 migration builds it beside the old).
_SOURCES_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id        TEXT PRIMARY KEY,
    scope     TEXT NOT NULL,
    title     TEXT NOT NULL,
    url       TEXT NOT NULL,            -- URL, file path or pasted:<name>
    kind      TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL,            -- ISO 8601 UTC
    sha256    TEXT NOT NULL,            -- of the text: one source per content per scope,
                                        -- unless a copy was added with force
    text      TEXT NOT NULL,            -- the full text every quote is checked against
    status    TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'deleting')),
    writer    TEXT NOT NULL DEFAULT ''  -- host:pid of the process writing a pending source
);
"""
_SOURCES_INDEXES = """
CREATE INDEX IF NOT EXISTS sources_scope ON sources (scope, status);
CREATE INDEX IF NOT EXISTS sources_content ON sources (scope, sha256);
"""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    + _SOURCES_TABLE.format(name="sources")
    + _SOURCES_INDEXES
    + """
CREATE TABLE IF NOT EXISTS chunks (
    rowid     INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,     -- <source id>:<index>, also the vector id
    source_id TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    start     INTEGER NOT NULL,         -- character offsets of the chunk in sources.text
    end_      INTEGER NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source_id, idx);
-- Titles, headings and bylines of a source (corpus/reporting/context_lines.py): never quoted alone.
CREATE TABLE IF NOT EXISTS context_spans (
    source_id TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    start     INTEGER NOT NULL,
    end_      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS context_spans_source ON context_spans (source_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    text, content = 'chunks', content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"""
)


class CatalogError(ChorusError):
    """The catalog cannot be opened or is in a state that needs `chorus doctor`."""


class DuplicateSourceError(ChorusError):
    """The same content is already a source in this scope."""

    def __init__(self, existing: SourceRecord) -> None:
        super().__init__(f"already in the catalog as source {existing.id} ({existing.title})")
        self.existing = existing


@dataclass(frozen=True)
class SourceRecord:
    id: str
    scope: str
    title: str
    url: str
    kind: str
    added_by: str
    added_at: str
    sha256: str
    status: str
    chunks: int = 0


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    source_id: str
    index: int
    start: int
    end: int
    text: str
    title: str
    url: str
    scope: str


@dataclass(frozen=True)
class NewChunk:
    index: int
    start: int
    end: int
    text: str


def writer_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def writer_alive(tag: str) -> bool:
    """Whether the process that tagged a pending source may still be writing it."""
    host, _, pid = tag.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return process_alive(int(pid))


_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


# How many times `limit` matches FTS5 ranks before the scope filter (see keyword_search).
KEYWORD_POOL = 4


def fts_terms(text: str, max_terms: int = 32) -> list[str]:
    """The content words of `text` for a keyword query, each once, in order.

    Stopwords are left out: they match most rows, which costs time (5x at 50,000 chunks)
    and adds nothing to BM25's ranking. So are single ASCII letters, the halves of
    contractions and initials ("don't" gives "t", "U.S." gives "s")."""
    terms: list[str] = []
    for word in _FTS_TOKEN.findall(text.lower()):
        if len(word) == 1 and word.isascii() and word.isalpha():
            continue
        if word not in terms and word not in STOPWORDS:
            terms.append(word)
    return terms[:max_terms]


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 OR-query of `terms`, each quoted so none is an operator."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Drop version 1's UNIQUE (scope, sha256), so a copy added with force can be stored.

    SQLite cannot drop a constraint: the table is rebuilt beside the old one and renamed, as
    SQLite's documentation prescribes, with foreign keys off so no chunk row is touched."""
    conn.execute("PRAGMA foreign_keys=OFF")  # has no effect inside a transaction
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is not None and row[0] == "1":  # another process may have done it
                conn.execute("DROP TABLE IF EXISTS sources_v2")
                conn.execute(_SOURCES_TABLE.format(name="sources_v2"))
                conn.execute("INSERT INTO sources_v2 SELECT * FROM sources")
                conn.execute("DROP TABLE sources")
                conn.execute("ALTER TABLE sources_v2 RENAME TO sources")
                for statement in _SOURCES_INDEXES.strip().splitlines():
                    conn.execute(statement)
                if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise sqlite3.DatabaseError("a chunk refers to no source after migration")
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys=ON")


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
                conn.executescript(_SCHEMA)
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                    (SCHEMA_VERSION,),
                )
                if self.get_meta("schema") == "1":
                    _migrate_1_to_2(conn)
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

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
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
        url: str,
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
                    raise DuplicateSourceError(_source(row))
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
                    url,
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
        row = (
            self._conn()
            .execute(
                "SELECT s.*, (SELECT count(*) FROM chunks c WHERE c.source_id = s.id) AS n "
                "FROM sources s WHERE s.scope = ? AND s.sha256 = ? AND s.status = 'ready' "
                "ORDER BY s.added_at, s.id LIMIT 1",
                (scope, sha256),
            )
            .fetchone()
        )
        return None if row is None else _source(row)

    def get_source(self, source_id: str, scopes: Sequence[str]) -> SourceRecord | None:
        """A ready source visible from `scopes`, else None (absent and foreign look alike)."""
        marks = ",".join("?" * len(scopes))
        row = (
            self._conn()
            .execute(
                f"SELECT s.*, (SELECT count(*) FROM chunks c WHERE c.source_id = s.id) AS n "
                f"FROM sources s WHERE s.id = ? AND s.status = 'ready' AND s.scope IN ({marks})",
                (source_id, *scopes),
            )
            .fetchone()
        )
        return None if row is None else _source(row)

    def source_text(self, source_id: str) -> str:
        row = self._conn().execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            raise CatalogError(f"source {source_id} has no text in the catalog")
        return str(row[0])

    def writer_of(self, source_id: str) -> str:
        row = (
            self._conn().execute("SELECT writer FROM sources WHERE id = ?", (source_id,)).fetchone()
        )
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
        row = (
            self._conn()
            .execute(
                "SELECT substr(text, ?, ?) FROM sources WHERE id = ?",
                (start + 1, max(0, end - start), source_id),
            )
            .fetchone()
        )
        return "" if row is None else str(row[0])

    def source_length(self, source_id: str) -> int:
        row = (
            self._conn()
            .execute("SELECT length(text) FROM sources WHERE id = ?", (source_id,))
            .fetchone()
        )
        return 0 if row is None else int(row[0])

    def list_sources(self, scopes: Sequence[str]) -> list[SourceRecord]:
        marks = ",".join("?" * len(scopes))
        rows = (
            self._conn()
            .execute(
                f"SELECT s.*, (SELECT count(*) FROM chunks c WHERE c.source_id = s.id) AS n "
                f"FROM sources s WHERE s.status = 'ready' AND s.scope IN ({marks}) "
                f"ORDER BY s.added_at, s.id",
                tuple(scopes),
            )
            .fetchall()
        )
        return [_source(r) for r in rows]

    def all_sources(self) -> list[SourceRecord]:
        """Every source in every state and scope (for doctor and reindex)."""
        rows = (
            self._conn()
            .execute(
                "SELECT s.*, (SELECT count(*) FROM chunks c WHERE c.source_id = s.id) AS n "
                "FROM sources s ORDER BY s.added_at, s.id"
            )
            .fetchall()
        )
        return [_source(r) for r in rows]

    def chunks_of(self, source_id: str) -> list[ChunkRecord]:
        rows = (
            self._conn()
            .execute(
                "SELECT c.*, s.title, s.url, s.scope FROM chunks c JOIN sources s "
                "ON s.id = c.source_id WHERE c.source_id = ? ORDER BY c.idx",
                (source_id,),
            )
            .fetchall()
        )
        return [_chunk(r) for r in rows]

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
        return {r["id"]: _chunk(r) for r in rows}

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
            return [(_chunk(r), -rank_of[r["rowid"]]) for r in rows[:limit]]
        rows = conn.execute(
            f"SELECT c.*, s.title, s.url, s.scope, -bm25(chunks_fts) AS score "
            f"FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            f"JOIN sources s ON s.id = c.source_id "
            f"WHERE chunks_fts MATCH ? AND s.status = 'ready' AND s.scope IN ({scope_marks}) "
            f"ORDER BY bm25(chunks_fts), c.rowid LIMIT ?",
            (match, *scopes, limit),
        ).fetchall()
        return [(_chunk(r), float(r["score"])) for r in rows]

    def iter_chunks(self, status: str = "ready") -> Iterator[tuple[ChunkRecord, str]]:
        """All chunks of sources in `status`, with their scope, in a stable order."""
        cursor = self._conn().execute(
            "SELECT c.*, s.title, s.url, s.scope FROM chunks c JOIN sources s "
            "ON s.id = c.source_id WHERE s.status = ? ORDER BY c.source_id, c.idx",
            (status,),
        )
        for row in cursor:
            yield _chunk(row), row["scope"]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT id FROM chunks")}

    def count_chunks(self, status: str = "ready") -> int:
        row = (
            self._conn()
            .execute(
                "SELECT count(*) FROM chunks c JOIN sources s ON s.id = c.source_id "
                "WHERE s.status = ?",
                (status,),
            )
            .fetchone()
        )
        return int(row[0])

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


def _source(row: sqlite3.Row) -> SourceRecord:
    keys = row.keys()
    return SourceRecord(
        id=row["id"],
        scope=row["scope"],
        title=row["title"],
        url=row["url"],
        kind=row["kind"],
        added_by=row["added_by"],
        added_at=row["added_at"],
        sha256=row["sha256"],
        status=row["status"],
        chunks=int(row["n"]) if "n" in keys else 0,
    )


def _chunk(row: sqlite3.Row) -> ChunkRecord:
    return ChunkRecord(
        id=row["id"],
        source_id=row["source_id"],
        index=row["idx"],
        start=row["start"],
        end=row["end_"],
        text=row["text"],
        title=row["title"],
        url=row["url"],
        scope=row["scope"],
    )
