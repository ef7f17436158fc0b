"""Whole-source reads of the catalog, for tests and benchmarks that check citations against
the full text. The product reads spans only (`Catalog.source_span`), never a whole source or
all its chunks at once. (Moved here from retrieval/catalog.py, issue 14: test-only code out
of the product.)
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from retrieval.catalog import Catalog
from retrieval.catalog_records import CatalogError, ChunkRecord, chunk_from_row


def _read(catalog: Catalog) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{catalog.path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def source_text(catalog: Catalog, source_id: str) -> str:
    """The whole stored text of one source."""
    with closing(_read(catalog)) as conn:
        row = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
    if row is None:
        raise CatalogError(f"source {source_id} has no text in the catalog")
    return str(row[0])


def chunks_of(catalog: Catalog, source_id: str) -> list[ChunkRecord]:
    """Every chunk of one source, in order, whatever its state."""
    with closing(_read(catalog)) as conn:
        rows = conn.execute(
            "SELECT c.*, s.title, s.url, s.scope FROM chunks c JOIN sources s "
            "ON s.id = c.source_id WHERE c.source_id = ? ORDER BY c.idx",
            (source_id,),
        ).fetchall()
    return [chunk_from_row(r) for r in rows]
