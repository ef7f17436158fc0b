"""What the catalog returns: sources and chunks as records, and its errors."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from common.errors import ChorusError


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
    origin: str  # a URL, a file path, "pasted:<name>" or "attachment:<name>" (column url)
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
    origin: str  # its source's
    scope: str


@dataclass(frozen=True)
class NewChunk:
    index: int
    start: int
    end: int
    text: str


def source_from_row(row: sqlite3.Row) -> SourceRecord:
    keys = row.keys()
    return SourceRecord(
        id=row["id"],
        scope=row["scope"],
        title=row["title"],
        origin=row["url"],
        kind=row["kind"],
        added_by=row["added_by"],
        added_at=row["added_at"],
        sha256=row["sha256"],
        status=row["status"],
        chunks=int(row["n"]) if "n" in keys else 0,
    )


def chunk_from_row(row: sqlite3.Row) -> ChunkRecord:
    return ChunkRecord(
        id=row["id"],
        source_id=row["source_id"],
        index=row["idx"],
        start=row["start"],
        end=row["end_"],
        text=row["text"],
        title=row["title"],
        origin=row["url"],
        scope=row["scope"],
    )
