"""Where datasets and analyses live: one DuckDB file per (scope, dataset name).

Layout: <root>/<scope key>/<name key>.<generation>.duckdb, keys are hashes (a scope or
name can be any string, never a path). Crash safety:

- a load builds a new file under a temporary name and renames it into place: a dataset is
  either wholly there or not there; a newer generation replaces the older one only once
  it is complete, and older generations are deleted afterwards (and on every access);
- an analysis is written in one transaction inside the dataset's file and checkpointed:
  a killed analysis leaves the previous results as they were;
- a removal first renames the file out of sight, then deletes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from common.errors import ChorusError, InputError, NotFoundError
from common.processes import process_alive
from patterns.dataset_schema import SCHEMA

logger = logging.getLogger(__name__)

MEMORY_LIMIT = "512MB"  # DuckDB spills to disk past this; keeps a 1M-post analysis < 1 GB
KEEP_ANALYSES = 20
_FILE = re.compile(r"^(d[0-9a-f]{24})\.(\d{20})\.duckdb$")
_TMP = re.compile(r"^\.tmp-(\d+)-[0-9a-f]{32}\.duckdb$")


_locks_guard = threading.Lock()
_locks: dict[tuple[str, str, str], threading.RLock] = {}


class BusyError(ChorusError):
    """Another Chorus process holds the dataset file."""


def scope_key(scope: str) -> str:
    return "s" + hashlib.sha256(scope.encode()).hexdigest()[:24]


def name_key(name: str) -> str:
    return "d" + hashlib.sha256(name.encode()).hexdigest()[:24]


def default_name(path: Path) -> str:
    """A dataset's name from its file: the name without its extensions, a compression one
    included (posts.csv.gz is 'posts', as posts.csv is, not 'posts.csv')."""
    stem = path.name
    for suffix in (".gz", ".gzip"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
    return Path(stem).stem or path.name


def check_name(name: str) -> str:
    """A dataset name: 1-100 printable characters."""
    clean = name.strip()
    if not clean or len(clean) > 100 or not clean.isprintable():
        raise InputError(f"dataset name must be 1-100 printable characters (got {name!r})")
    return clean


def connect(
    path: Path, *, temp_dir: Path | None = None, memory_limit: str = MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """Open a dataset file with the settings every connection shares (DuckDB keeps one
    database instance per file and process, so they must agree)."""
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise BusyError(
                "this dataset is in use by another Chorus process; try again when it finishes"
            ) from None
        raise
    con.execute(f"SET memory_limit = '{memory_limit.replace(chr(39), '')}'")
    con.execute("SET TimeZone = 'UTC'")
    # Nothing stored relies on physical row order (every read sorts), and keeping order
    # makes DuckDB run many statements on one thread.
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # callers report progress themselves
    if temp_dir is not None:
        con.execute(f"SET temp_directory = '{str(temp_dir).replace(chr(39), chr(39) * 2)}'")
    return con


@dataclass(frozen=True)
class DatasetFile:
    name_key: str
    generation: int
    path: Path


class ScopeStore:
    """The datasets of one scope (tenant). Nothing here can reach another scope's files."""

    def __init__(
        self,
        root: Path,
        scope: str,
        *,
        memory_limit: str = MEMORY_LIMIT,
        temp_dir: Path | None = None,
    ) -> None:
        if not isinstance(scope, str) or not scope:
            raise InputError("scope must be a non-empty string")
        self.root = root
        self.scope = scope
        self.dir = root / scope_key(scope)
        self.memory_limit = memory_limit
        # Where DuckDB spills past the memory limit: the scope's folder unless set.
        self.spill_dir = (temp_dir / scope_key(scope)) if temp_dir else self.dir / ".spill"

    def connect(self, path: Path) -> duckdb.DuckDBPyConnection:
        """A dataset file of this scope, under the configured memory limit and spill folder."""
        return connect(path, temp_dir=self.spill_dir, memory_limit=self.memory_limit)

    # --- locking and files --------------------------------------------------------------

    def lock(self, name: str) -> threading.RLock:
        key = (str(self.root.resolve()), self.scope, name)
        with _locks_guard:
            return _locks.setdefault(key, threading.RLock())

    def _files(self) -> dict[str, list[DatasetFile]]:
        out: dict[str, list[DatasetFile]] = {}
        if not self.dir.is_dir():
            return out
        for entry in os.scandir(self.dir):
            m = _FILE.match(entry.name)
            if m:
                out.setdefault(m.group(1), []).append(
                    DatasetFile(m.group(1), int(m.group(2)), Path(entry.path))
                )
        for files in out.values():
            files.sort(key=lambda f: f.generation)
        return out

    def current(self, name: str) -> DatasetFile | None:
        files = self._files().get(name_key(name), [])
        return files[-1] if files else None

    def require(self, name: str) -> DatasetFile:
        found = self.current(name)
        if found is None:
            raise NotFoundError(f"no dataset named {name!r}")
        return found

    def all_current(self) -> list[DatasetFile]:
        return [files[-1] for files in self._files().values()]

    def collect_garbage(self) -> None:
        """Delete superseded generations, tombstones, orphan WALs and temporary files left
        by processes that died."""
        if not self.dir.is_dir():
            return
        for files in self._files().values():
            for old in files[:-1]:
                _unlink_db(old.path)
        for entry in os.scandir(self.dir):
            path = Path(entry.path)
            if entry.name.endswith(".removed"):
                _unlink_db(path)
            elif entry.name.endswith(".duckdb.wal") and not path.with_suffix("").exists():
                path.unlink(missing_ok=True)
            else:
                m = _TMP.match(entry.name)
                if m and not process_alive(int(m.group(1))):
                    _unlink_db(path)
                elif entry.name.startswith(".gunzip-") and not process_alive(_pid_of(entry.name)):
                    path.unlink(missing_ok=True)

    # --- building and installing --------------------------------------------------------

    @contextlib.contextmanager
    def building(self) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
        """A new, empty dataset file under a temporary name; deleted unless installed."""
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".tmp-{os.getpid()}-{uuid.uuid4().hex}.duckdb"
        con = self.connect(tmp)
        try:
            con.execute(SCHEMA)
            yield tmp, con
        except BaseException:
            con.close()
            _unlink_db(tmp)
            raise
        else:
            con.close()

    def install(self, name: str, tmp: Path) -> DatasetFile:
        """Rename a complete, closed file into place as the newest generation of `name`."""
        key = name_key(name)
        files = self._files().get(key, [])
        generation = max([time.time_ns()] + [f.generation + 1 for f in files])
        final = self.dir / f"{key}.{generation:020d}.duckdb"
        os.replace(tmp, final)
        _fsync_dir(self.dir)
        for old in files:
            _unlink_db(old.path)
        return DatasetFile(key, generation, final)

    def remove(self, name: str) -> None:
        files = self._files().get(name_key(name), [])
        if not files:
            raise NotFoundError(f"no dataset named {name!r}")
        for old in files[:-1]:
            _unlink_db(old.path)
        newest = files[-1].path
        tomb = newest.with_name(newest.name + ".removed")
        os.replace(newest, tomb)  # from here on the dataset is gone
        _fsync_dir(self.dir)
        _unlink_db(tomb)
        Path(str(newest) + ".wal").unlink(missing_ok=True)


def all_dataset_files(root: Path) -> list[Path]:
    """The current file of every dataset of every scope (for consistency checks)."""
    out: list[Path] = []
    if not root.is_dir():
        return out
    for scope_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        newest: dict[str, tuple[int, Path]] = {}
        for entry in os.scandir(scope_dir):
            m = _FILE.match(entry.name)
            if m and int(m.group(2)) >= newest.get(m.group(1), (-1, scope_dir))[0]:
                newest[m.group(1)] = (int(m.group(2)), Path(entry.path))
        out.extend(path for _, path in sorted(newest.values()))
    return out


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create any table a file from an earlier version lacks (before writing results)."""
    con.execute(SCHEMA)


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return {str(k): json.loads(v) for k, v in con.execute("SELECT key, value FROM meta").fetchall()}


def write_meta(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> None:
    con.executemany(
        "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in values.items()]
    )


def _unlink_db(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pid_of(name: str) -> int:
    parts = name.split("-")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else -1
