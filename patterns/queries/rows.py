"""The rows every answer starts from: the latest analysis (its reference), accounts,
posts and the clusters' ranking rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from patterns.params import ALL_SIGNALS, AnalysisParams
from patterns.results import Example
from patterns.serialise import seconds_of

DAY = 86_400.0
SORTS = ("size", "score", "new")  # and any signal name: most distinct items of it


@dataclass(frozen=True)
class AnalysisRef:
    """The latest analysis of one dataset: what every answer names (dataset, parameters)."""

    dataset: str
    analysis_id: str
    params: AnalysisParams
    window_s: float
    clusters: int
    posts: int
    accounts: int


@dataclass(frozen=True)
class Account:
    aid: int
    account_id: str
    name: str | None
    created_at: float | None
    first_post: float
    posts: int

    @property
    def label(self) -> str:
        """The id, with the display name when it differs."""
        if self.name and self.name != self.account_id:
            return f"{self.name} ({self.account_id})"
        return self.account_id


@dataclass(frozen=True)
class ClusterRow:
    """One cluster of an analysis, as rankings need it (no members, no examples)."""

    cluster_id: str
    rank: int
    size: int
    score: float
    signals: dict[str, int]
    new_accounts: int
    with_dates: int
    first_seen: float
    last_seen: float

    def measure(self, sort: str) -> float:
        if sort == "size":
            return float(self.size)
        if sort == "score":
            return self.score
        if sort == "new":
            return self.new_accounts / self.with_dates if self.with_dates else -1.0
        return float(self.signals.get(sort, 0))


def latest_ref(con: duckdb.DuckDBPyConnection) -> AnalysisRef | None:
    """The dataset's latest analysis, read without its (large) body."""
    row = con.execute(
        "SELECT a.analysis_id, a.meta, (SELECT count(*) FROM clusters c "
        "WHERE c.analysis_id = a.analysis_id) FROM analyses a ORDER BY a.created_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    meta = json.loads(row[1])
    info = dict(con.execute("SELECT key, value FROM meta").fetchall())
    return AnalysisRef(
        dataset=str(json.loads(info["name"])),
        analysis_id=str(row[0]),
        params=AnalysisParams.from_json(meta["params"]),
        window_s=float(meta["window_s"]),
        clusters=int(row[2]),
        posts=int(json.loads(info["posts"])),
        accounts=int(json.loads(info["accounts"])),
    )


ACCOUNT_COLUMNS = "aid, account_id, name, created, first_t, posts"


def account_row(row: Sequence[object]) -> Account:
    aid, acc, name, created, first, posts = row
    return Account(
        aid=int(str(aid)),
        account_id=str(acc),
        name=None if name is None else str(name),
        created_at=None if created is None else float(str(created)),
        first_post=float(str(first)),
        posts=int(str(posts)),
    )


def find_accounts(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[Account]:
    """Accounts whose id or display name equals one of `names` exactly (a leading @ is
    also tried without it)."""
    wanted = sorted({n for name in names for n in (name, name.removeprefix("@")) if n})
    if not wanted:
        return []
    rows = con.execute(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id IN (SELECT unnest(?)) "
        "OR name IN (SELECT unnest(?)) ORDER BY aid",
        [wanted, wanted],
    ).fetchall()
    return [account_row(r) for r in rows]


def accounts_by_aid(con: duckdb.DuckDBPyConnection, aids: Sequence[int]) -> dict[int, Account]:
    if not aids:
        return {}
    rows = con.execute(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE aid IN (SELECT unnest(?))",
        [sorted(set(aids))],
    ).fetchall()
    return {int(r[0]): account_row(r) for r in rows}


def posts_by_pid(
    con: duckdb.DuckDBPyConnection, pids: Sequence[int]
) -> dict[int, tuple[str, int, float, str | None]]:
    if not pids:
        return {}
    rows = con.execute(
        "SELECT pid, post_id, aid, t, text FROM posts WHERE pid IN (SELECT unnest(?))",
        [sorted(set(pids))],
    ).fetchall()
    return {int(r[0]): (str(r[1]), int(r[2]), float(r[3]), r[4]) for r in rows}


_ROW_SQL = (
    "SELECT cluster_id, rank, CAST(detail->>'$.size' AS INTEGER), "
    "CAST(detail->>'$.score' AS DOUBLE), detail->>'$.signals', "
    "CAST(detail->>'$.new_accounts' AS INTEGER), "
    "CAST(detail->>'$.accounts_with_creation_date' AS INTEGER), "
    "detail->>'$.first_seen', detail->>'$.last_seen' FROM clusters WHERE analysis_id = ?"
)


def _cluster_row(r: Sequence[object]) -> ClusterRow:
    return ClusterRow(
        cluster_id=str(r[0]),
        rank=int(str(r[1])),
        size=int(str(r[2])),
        score=float(str(r[3])),
        signals={str(k): int(v) for k, v in json.loads(str(r[4])).items()},
        new_accounts=int(str(r[5])),
        with_dates=int(str(r[6])),
        first_seen=seconds_of(str(r[7])),
        last_seen=seconds_of(str(r[8])),
    )


def cluster_rows(con: duckdb.DuckDBPyConnection, ref: AnalysisRef) -> list[ClusterRow]:
    """Every cluster of the analysis, in stored rank order (best score first)."""
    rows = con.execute(_ROW_SQL + " ORDER BY rank", [ref.analysis_id]).fetchall()
    return [_cluster_row(r) for r in rows]


def cluster_row(
    con: duckdb.DuckDBPyConnection, ref: AnalysisRef, cluster_id: str
) -> ClusterRow | None:
    row = con.execute(_ROW_SQL + " AND cluster_id = ?", [ref.analysis_id, cluster_id]).fetchone()
    return None if row is None else _cluster_row(row)


def ranked(rows: Sequence[ClusterRow], sort: str) -> list[ClusterRow]:
    """Clusters by `sort` (size, score, new = new-account share, or a signal: most
    distinct items of it), ties broken by score, then size, then id."""
    if sort not in SORTS and sort not in ALL_SIGNALS:
        raise ValueError(f"unknown sort {sort!r}")
    return sorted(rows, key=lambda c: (-c.measure(sort), -c.score, -c.size, c.cluster_id))


def example_post(
    posts: dict[int, tuple[str, int, float, str | None]],
    accounts: dict[int, Account],
    pid: int,
) -> Example:
    post_id, aid, t, text = posts[pid]
    return Example(post_id, accounts[aid].account_id, t, text)
