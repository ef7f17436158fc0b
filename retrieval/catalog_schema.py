"""The catalog's SQLite schema (sources, chunks, context spans, the FTS5 index and its
triggers) and the one migration (version 1 to 2)."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = "2"  # 2: one content may be stored twice in a scope (added with force)

# The sources table under a given name (the version 1 -> 2 migration builds it beside the old).
SOURCES_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id        TEXT PRIMARY KEY,
    scope     TEXT NOT NULL,
    title     TEXT NOT NULL,
    url       TEXT NOT NULL,            -- the origin: URL, file path or pasted:<name>
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
SOURCES_INDEXES = """
CREATE INDEX IF NOT EXISTS sources_scope ON sources (scope, status);
CREATE INDEX IF NOT EXISTS sources_content ON sources (scope, sha256);
"""

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    + SOURCES_TABLE.format(name="sources")
    + SOURCES_INDEXES
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


def migrate_1_to_2(conn: sqlite3.Connection) -> None:
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
                conn.execute(SOURCES_TABLE.format(name="sources_v2"))
                conn.execute("INSERT INTO sources_v2 SELECT * FROM sources")
                conn.execute("DROP TABLE sources")
                conn.execute("ALTER TABLE sources_v2 RENAME TO sources")
                for statement in SOURCES_INDEXES.strip().splitlines():
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
