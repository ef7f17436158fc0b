"""An account's view of an analysis: its cluster, its strongest ties, and for each tie
the items the two shared with the two closest posts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from patterns.queries.rows import (
    DAY,
    Account,
    AnalysisRef,
    ClusterRow,
    accounts_by_aid,
    cluster_row,
    example_post,
    posts_by_pid,
)
from patterns.result_text import own_label
from patterns.results import Example
from patterns.serialise import iso, to_json


@dataclass(frozen=True)
class SharedItem:
    """One item two accounts both posted within the window: the closest pair of posts."""

    signal: str
    label: str
    post_a: Example  # by the account asked about (or the pair's first account)
    post_b: Example
    co_posts: int


@dataclass(frozen=True)
class Tie:
    partner: Account
    weight: float
    shared: int  # distinct items
    cluster_id: str | None  # the cluster the edge lies inside, if any
    items: tuple[SharedItem, ...]  # the strongest few, closest co-post first


@dataclass(frozen=True)
class AccountView:
    ref: AnalysisRef
    account: Account
    cluster: ClusterRow | None
    ties: tuple[Tie, ...]  # strongest first
    total_ties: int
    is_new: bool | None

    def to_json(self) -> dict[str, Any]:
        """`chorus account --json`: one dataset's view of the account."""
        a, p = self.account, self.ref.params
        return {
            "dataset": self.ref.dataset,
            "analysis_id": self.ref.analysis_id,
            "window_s": self.ref.window_s,
            "min_shared": p.min_shared,
            "min_accounts": p.min_accounts,
            "account": {
                "account_id": a.account_id,
                "name": a.name,
                "created_at": iso(a.created_at),
                "first_post": iso(a.first_post),
                "posts": a.posts,
                "new": self.is_new,
            },
            "cluster": None
            if self.cluster is None
            else {"id": self.cluster.cluster_id, "size": self.cluster.size},
            "linked_accounts": self.total_ties,
            "ties": [
                {
                    "account_id": t.partner.account_id,
                    "name": t.partner.name,
                    "weight": t.weight,
                    "shared": t.shared,
                    "cluster_id": t.cluster_id,
                    "items": [
                        {
                            "signal": i.signal,
                            "item": i.label,
                            "co_posts": i.co_posts,
                            "posts": [to_json(i.post_a), to_json(i.post_b)],
                        }
                        for i in t.items
                    ],
                }
                for t in self.ties
            ],
        }


def account_view(
    con: duckdb.DuckDBPyConnection,
    ref: AnalysisRef,
    account: Account,
    *,
    ties: int = 5,
    items_per_tie: int = 3,
) -> AccountView:
    """The account's cluster (if any) and its strongest ties, each with the items it
    shared with the partner and the two closest posts of each."""
    aid = ref.analysis_id
    found = con.execute(
        "SELECT cluster_id FROM cluster_members WHERE analysis_id = ? AND aid = ? LIMIT 1",
        [aid, account.aid],
    ).fetchone()
    cluster = None if found is None else cluster_row(con, ref, str(found[0]))
    edge_rows = con.execute(
        "SELECT CASE WHEN a = ? THEN b ELSE a END, weight, shared, cluster_id, "
        "count(*) OVER () FROM edges WHERE analysis_id = ? AND (a = ? OR b = ?) "
        "ORDER BY weight DESC, shared DESC, 1 LIMIT ?",
        [account.aid, aid, account.aid, account.aid, ties],
    ).fetchall()
    total = int(edge_rows[0][4]) if edge_rows else 0
    partners = [int(r[0]) for r in edge_rows]
    evidence = []
    if partners:
        evidence = con.execute(
            "SELECT CASE WHEN e.a = ? THEN e.b ELSE e.a END AS other, e.signal, "
            "coalesce(i.label, ''), CASE WHEN e.a = ? THEN e.pid_a ELSE e.pid_b END, "
            "CASE WHEN e.a = ? THEN e.pid_b ELSE e.pid_a END, e.n, abs(e.t_b - e.t_a) AS lag "
            "FROM evidence e LEFT JOIN items i ON i.analysis_id = e.analysis_id "
            "AND i.item = e.item WHERE e.analysis_id = ? AND ((e.a = ? AND e.b IN "
            "(SELECT unnest(?))) OR (e.b = ? AND e.a IN (SELECT unnest(?)))) "
            "ORDER BY other, coalesce(i.weight, 1) DESC, lag, e.item",
            [account.aid] * 3 + [aid, account.aid, partners, account.aid, partners],
        ).fetchall()
    per: dict[int, list[tuple[str, str, int, int, int]]] = {}
    for other, signal, label, mine, theirs, n, _ in evidence:
        lst = per.setdefault(int(other), [])
        if len(lst) < items_per_tie:
            lst.append((str(signal), str(label), int(mine), int(theirs), int(n)))
    posts = posts_by_pid(con, [p for lst in per.values() for _, _, a, b, _ in lst for p in (a, b)])
    accounts = accounts_by_aid(con, [account.aid, *partners])
    out = []
    for other, weight, shared, cid, _ in edge_rows:
        items = tuple(
            SharedItem(
                signal,
                own_label(signal, label, posts[mine][3]),
                example_post(posts, accounts, mine),
                example_post(posts, accounts, theirs),
                n,
            )
            for signal, label, mine, theirs, n in per.get(int(other), [])
        )
        out.append(
            Tie(
                accounts[int(other)],
                float(weight),
                int(shared),
                None if cid is None else cid,
                items,
            )
        )
    horizon = ref.params.new_account_days * DAY
    is_new = (
        None
        if account.created_at is None
        else bool(account.first_post - account.created_at <= horizon)
    )
    return AccountView(ref, account, cluster, tuple(out), total, is_new)


@dataclass(frozen=True)
class AccountPosts:
    """An account's stored posts: how many, the earliest few and the last one."""

    account: Account
    count: int
    earliest: tuple[Example, ...]  # in time order
    last: Example | None


def account_posts(
    con: duckdb.DuckDBPyConnection, account: Account, *, shown: int = 5
) -> AccountPosts:
    """The account's posts in time order (ties by stored order), the earliest `shown`
    and the last, for questions about what it posted and when."""
    sql = "SELECT post_id, t, text FROM posts WHERE aid = ? ORDER BY t {0}, pid {0} LIMIT ?"
    first = con.execute(sql.format("ASC"), [account.aid, shown]).fetchall()
    last = con.execute(sql.format("DESC"), [account.aid, 1]).fetchone()
    row = con.execute("SELECT count(*) FROM posts WHERE aid = ?", [account.aid]).fetchone()

    def example(r: tuple[object, ...]) -> Example:
        return Example(str(r[0]), account.account_id, float(str(r[1])), _text(r[2]))

    return AccountPosts(
        account,
        int(str(row[0])) if row else 0,
        tuple(example(r) for r in first),
        None if last is None else example(last),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
