"""Reading stored analyses for questions, without loading the engine (igraph and its
drawing code take seconds to import): open dataset files, list a scope's datasets, read
one cluster in full, an account's view.

A dataset file stays open for READER_IDLE_S (10 s) after its last use, so that a chat bot's
questions do not pay DuckDB's open (about 0.2 s on a million-post file) each time; each
question reads through its own cursor. Files are closed once idle, because an open file
is locked against other processes (a `chorus analyze` from the terminal).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import duckdb

from common.errors import NotFoundError
from patterns.params import AnalysisParams
from patterns.queries import AccountView, AnalysisRef, account_view, find_accounts, latest_ref
from patterns.results import ClusterDetail, Member
from patterns.store import ScopeStore, connect, read_meta

DAY = 86_400.0
READER_IDLE_S = 10.0
_readers: weakref.WeakSet[AnalysisReader] = weakref.WeakSet()


def _close_all() -> None:
    """Close open files and stop the idle timers before the interpreter shuts down: a
    daemon thread still inside DuckDB at finalisation aborts the process, so the timers
    are ordinary threads, stopped here before threading waits for them (the hook that
    concurrent.futures uses; atexit, which runs after that wait, where it is missing)."""
    for reader in list(_readers):
        reader.close()


getattr(threading, "_register_atexit", atexit.register)(_close_all)


def members(
    con: duckdb.DuckDBPyConnection, analysis_id: str, cluster_id: str, params: AnalysisParams
) -> tuple[Member, ...]:
    """A cluster's members, most connected first."""
    rows = con.execute(
        "SELECT a.account_id, a.name, a.created, a.first_t, m.posts, m.partners "
        "FROM cluster_members m JOIN accounts a ON a.aid = m.aid "
        "WHERE m.analysis_id = ? AND m.cluster_id = ? ORDER BY m.partners DESC, a.account_id",
        [analysis_id, cluster_id],
    ).fetchall()
    horizon = params.new_account_days * DAY
    return tuple(
        Member(
            account_id=str(acc),
            name=name,
            created_at=created,
            first_post=float(first),
            posts_in_cluster=int(posts),
            partners=int(partners),
            new=None if created is None else bool(float(first) - float(created) <= horizon),
        )
        for acc, name, created, first, posts, partners in rows
    )


class AnalysisReader:
    """Read-side access to the stored analyses of every scope under `root`."""

    def __init__(self, root: Path, *, idle_s: float = READER_IDLE_S) -> None:
        self.root = Path(root)
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._open: dict[Path, tuple[duckdb.DuckDBPyConnection, float]] = {}
        self._timer: threading.Timer | None = None
        _readers.add(self)

    # -- connections ----------------------------------------------------------------------
    def _cursor(self, store: ScopeStore, path: Path) -> duckdb.DuckDBPyConnection:
        with self._lock:
            held = self._open.get(path)
            base = connect(path, temp_dir=store.dir / ".spill") if held is None else held[0]
            self._open[path] = (base, time.monotonic())
            self._schedule()
            return base.cursor()

    def _schedule(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self.idle_s, self._expire)
            self._timer.start()

    def _expire(self) -> None:
        """Close files idle for idle_s, or superseded by a newer generation."""
        with self._lock:
            self._timer = None
            now = time.monotonic()
            for path, (base, used) in list(self._open.items()):
                if now - used >= self.idle_s or not path.exists():
                    base.close()
                    del self._open[path]
            if self._open:
                self._schedule()

    def close(self) -> None:
        with self._lock:
            for base, _ in self._open.values():
                base.close()
            self._open.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _forget_stale(self, store: ScopeStore) -> None:
        """A newer generation replaced a file, or a removal took it: let go of the old."""
        with self._lock:
            current = {f.path for f in store.all_current()}
            for path in [p for p in self._open if p.parent == store.dir and p not in current]:
                self._open.pop(path)[0].close()

    @contextlib.contextmanager
    def reading(
        self, scope: str, name: str
    ) -> Iterator[tuple[duckdb.DuckDBPyConnection, AnalysisRef | None]]:
        """A cursor on the dataset's file and its latest analysis (None: never analysed).
        NotFoundError for a name this scope lacks."""
        store = ScopeStore(self.root, scope)
        found = store.require(name)
        con = self._cursor(store, found.path)
        try:
            yield con, latest_ref(con)
        finally:
            con.close()

    def dataset_names(self, scope: str) -> list[str]:
        """This scope's dataset names, from the files' own records, sorted."""
        store = ScopeStore(self.root, scope)
        self._forget_stale(store)
        names = []
        for found in store.all_current():
            con = self._cursor(store, found.path)
            try:
                names.append(str(read_meta(con)["name"]))
            finally:
                con.close()
        return sorted(names)

    # -- reads ----------------------------------------------------------------------------
    def detail(
        self, con: duckdb.DuckDBPyConnection, ref: AnalysisRef, cluster_id: str
    ) -> ClusterDetail | None:
        """One cluster of an open dataset's latest analysis, in full."""
        row = con.execute(
            "SELECT detail FROM clusters WHERE analysis_id = ? AND cluster_id = ?",
            [ref.analysis_id, cluster_id],
        ).fetchone()
        if row is None:
            return None
        found = members(con, ref.analysis_id, cluster_id, ref.params)
        return ClusterDetail.from_stored(json.loads(row[0]), params=ref.params, members=found)

    def accounts(self, name: str, *, scope: str, dataset: str | None = None) -> list[AccountView]:
        """Every account named `name` exactly (id or display name) in the latest analysis
        of each dataset (or of `dataset`): its cluster, strongest ties and their evidence.
        NotFoundError naming the datasets looked in when there is none."""
        names = [dataset] if dataset is not None else self.dataset_names(scope)
        views: list[AccountView] = []
        for dataset_name in names:
            with self.reading(scope, dataset_name) as (con, ref):
                if ref is None:
                    continue
                for account in find_accounts(con, [name]):
                    views.append(account_view(con, ref, account, ties=10))
        if not views:
            where = f"dataset {', '.join(names)}" if names else "any dataset here"
            raise NotFoundError(f"no account named {name!r} in {where}")
        return views
