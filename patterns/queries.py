"""Questions answered from a stored analysis: who an account is linked to and by what,
which accounts shared an item within the window, which cluster is biggest (by any
measure), what a cluster shared and when.

Everything reads the rows an analysis stores (accounts, posts, edges, evidence, items,
clusters, cluster_members) of one open dataset file, through bind parameters only: a
name with quotes, slashes, `%` or `_` is matched as written, never as a pattern.
Results are typed; wording is the caller's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from patterns.config import ALL_SIGNALS
from patterns.normalise import normalise_url, text_match_key
from patterns.params import AnalysisParams
from patterns.results import Example, iso

DAY = 86_400.0
ItemKind = Literal["url", "hashtag", "text", "image", "post"]
# Which stored signals an item kind is looked up under.
ITEM_SIGNALS: dict[str, tuple[str, ...]] = {
    "url": ("url", "domain"),
    "hashtag": ("hashtags",),
    "text": ("text", "near_text"),
    "image": ("image",),
    "post": ("repost", "reply"),
}
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
                            "posts": [i.post_a.to_json(), i.post_b.to_json()],
                        }
                        for i in t.items
                    ],
                }
                for t in self.ties
            ],
        }


@dataclass(frozen=True)
class ItemMatch:
    item: int
    signal: str
    label: str
    accounts: int  # distinct accounts that posted it (in the whole dataset)


@dataclass(frozen=True)
class Sharer:
    account: Account
    cluster_id: str | None
    posts: tuple[Example, ...]  # its posts of the item that paired within the window


@dataclass(frozen=True)
class ItemSharers:
    ref: AnalysisRef
    asked: str
    kind: ItemKind
    matches: tuple[ItemMatch, ...]
    sharers: tuple[Sharer, ...]  # most posts first
    posted_by: int  # accounts whose posts carry it (0: in no post; text is not looked up)


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


_ACCOUNT_COLUMNS = "aid, account_id, name, created, first_t, posts"


def _account(row: Sequence[object]) -> Account:
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
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE account_id IN (SELECT unnest(?)) "
        "OR name IN (SELECT unnest(?)) ORDER BY aid",
        [wanted, wanted],
    ).fetchall()
    return [_account(r) for r in rows]


def _accounts_by_aid(con: duckdb.DuckDBPyConnection, aids: Sequence[int]) -> dict[int, Account]:
    if not aids:
        return {}
    rows = con.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE aid IN (SELECT unnest(?))",
        [sorted(set(aids))],
    ).fetchall()
    return {int(r[0]): _account(r) for r in rows}


def _posts(
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


def _iso_seconds(value: object) -> float:
    from datetime import datetime  # noqa: PLC0415 - only rankings parse times

    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _cluster_row(r: Sequence[object]) -> ClusterRow:
    return ClusterRow(
        cluster_id=str(r[0]),
        rank=int(str(r[1])),
        size=int(str(r[2])),
        score=float(str(r[3])),
        signals={str(k): int(v) for k, v in json.loads(str(r[4])).items()},
        new_accounts=int(str(r[5])),
        with_dates=int(str(r[6])),
        first_seen=_iso_seconds(r[7]),
        last_seen=_iso_seconds(r[8]),
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


def _example(
    posts: dict[int, tuple[str, int, float, str | None]],
    accounts: dict[int, Account],
    pid: int,
    signal: str,
    label: str,
) -> Example:
    post_id, aid, t, text = posts[pid]
    return Example(post_id, accounts[aid].account_id, t, text, signal, label)


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
    posts = _posts(con, [p for lst in per.values() for _, _, a, b, _ in lst for p in (a, b)])
    accounts = _accounts_by_aid(con, [account.aid, *partners])
    out = []
    for other, weight, shared, cid, _ in edge_rows:
        items = tuple(
            SharedItem(
                signal,
                label,
                _example(posts, accounts, mine, signal, label),
                _example(posts, accounts, theirs, signal, label),
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


def item_keys(kind: ItemKind, value: str) -> list[str]:
    """The forms an item may be stored under: as written, and as the analysis
    normalises it (a link canonicalised, a hashtag lowercased with its #)."""
    raw = value.strip()
    if kind == "url":
        return sorted({raw, normalise_url(raw)} - {""})
    if kind == "hashtag":
        tag = raw.lstrip("#").lower()
        return [f"#{tag}"] if tag else []
    if kind == "image":  # a perceptual hash is stored as 'phash:<16 hex>'; asked either way
        low = raw.lower()
        bare = low.removeprefix("phash:")
        if _PHASH_HEX.fullmatch(bare):
            return sorted({low, bare, f"phash:{bare}"})
        return [low] if low else []
    if kind == "text":
        return [text_match_key(raw)] if text_match_key(raw) else []
    return [raw] if raw else []


def match_items(
    con: duckdb.DuckDBPyConnection, ref: AnalysisRef, kind: ItemKind, value: str
) -> list[ItemMatch]:
    """The analysis' items equal to `value` (a hashtag: every hashtag set holding it)."""
    keys = item_keys(kind, value)
    signals = list(ITEM_SIGNALS[kind])
    if not keys:
        return []
    if kind == "hashtag":
        where = "list_contains(string_split(label, ' '), ?)"
        args: list[object] = [keys[0]]
    elif kind == "text":
        from patterns.normalise import text_sql  # noqa: PLC0415

        where = f"{text_sql('label', ref.params.normalisation)} = ?"
        args = [keys[0]]
    else:
        where = "label IN (SELECT unnest(?))"
        args = [keys]
    rows = con.execute(
        "SELECT item, signal, label, accounts FROM items WHERE analysis_id = ? "
        f"AND signal IN (SELECT unnest(?)) AND {where} ORDER BY accounts DESC, item",
        [ref.analysis_id, signals, *args],
    ).fetchall()
    if not rows and kind == "image":
        rows = _image_items_of_posts(con, ref, _posts_with_image(con, value))
    return [ItemMatch(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


_PHASH_HEX = re.compile(r"[0-9a-f]{16}")


def _posts_with_image(con: duckdb.DuckDBPyConnection, value: str) -> list[int]:
    """Posts whose image is `value`: a file as the dataset names it (or its tail, such as
    the file name), an image URL, or a perceptual hash of any image of a near-identical
    group (the group's item is named by its smallest hash only)."""
    raw = value.strip()
    if not raw:
        return []
    named = "len(list_filter(coalesce({c}, []), lambda f: f = $v OR ends_with(f, '/' || $v))) > 0"
    cols = [c for c in ("image_files", "image_urls") if _has(con, c)]
    pids: set[int] = set()
    if cols:
        where = " OR ".join(named.format(c=c) for c in cols)
        rows = con.execute(f"SELECT pid FROM posts WHERE {where}", {"v": raw}).fetchall()
        pids = {int(r[0]) for r in rows}
    bare = raw.lower().removeprefix("phash:")
    if _PHASH_HEX.fullmatch(bare) and _has(con, "phash", table="post_images"):
        pids |= {
            int(r[0])
            for r in con.execute(
                "SELECT pid FROM post_images WHERE phash = ?", [int(bare, 16)]
            ).fetchall()
        }
    return sorted(pids)


def _image_items_of_posts(
    con: duckdb.DuckDBPyConnection, ref: AnalysisRef, pids: list[int]
) -> list[tuple[Any, ...]]:
    if not pids:
        return []
    return con.execute(
        "SELECT item, signal, label, accounts FROM items WHERE analysis_id = ? "
        "AND signal = 'image' AND item IN (SELECT item FROM evidence WHERE analysis_id = ? "
        "AND signal = 'image' AND (pid_a IN (SELECT unnest(?)) OR pid_b IN (SELECT unnest(?)))) "
        "ORDER BY accounts DESC, item",
        [ref.analysis_id, ref.analysis_id, pids, pids],
    ).fetchall()


def _has(con: duckdb.DuckDBPyConnection, column: str, *, table: str = "posts") -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()
    return bool(row and row[0])


def item_sharers(
    con: duckdb.DuckDBPyConnection,
    ref: AnalysisRef,
    kind: ItemKind,
    value: str,
    *,
    posts_per_account: int = 2,
) -> ItemSharers:
    """Accounts that posted the item within the window of another account's post of it
    (as the stored evidence of linked pairs records), each with its cluster."""
    matches = match_items(con, ref, kind, value)
    sharers: list[Sharer] = []
    posted_by = sum(m.accounts for m in matches)
    if matches:
        rows = con.execute(
            "SELECT aid, pid FROM (SELECT a AS aid, pid_a AS pid, t_a AS t FROM evidence "
            "WHERE analysis_id = ? AND item IN (SELECT unnest(?)) UNION "
            "SELECT b, pid_b, t_b FROM evidence WHERE analysis_id = ? "
            "AND item IN (SELECT unnest(?))) ORDER BY aid, t, pid",
            [ref.analysis_id, [m.item for m in matches]] * 2,
        ).fetchall()
        by_account: dict[int, list[int]] = {}
        for a, p in rows:
            by_account.setdefault(int(a), []).append(int(p))
        accounts = _accounts_by_aid(con, list(by_account))
        clusters = dict(
            con.execute(
                "SELECT aid, cluster_id FROM cluster_members WHERE analysis_id = ? "
                "AND aid IN (SELECT unnest(?))",
                [ref.analysis_id, list(by_account)],
            ).fetchall()
        )
        shown = [p for ps in by_account.values() for p in ps[:posts_per_account]]
        posts = _posts(con, shown)
        label = matches[0].label
        for a, ps in by_account.items():
            sharers.append(
                Sharer(
                    accounts[a],
                    clusters.get(a),
                    tuple(
                        _example(posts, accounts, p, matches[0].signal, label)
                        for p in ps[:posts_per_account]
                    ),
                )
            )
        sharers.sort(key=lambda s: (-len(by_account[s.account.aid]), s.account.account_id))
    elif kind == "image":  # not among the linking items: is it in the data at all?
        pids = _posts_with_image(con, value)
        keys = item_keys(kind, value)
        row = con.execute(
            f"SELECT count(DISTINCT aid) FROM posts WHERE pid IN (SELECT unnest(?)) "
            f"OR {_POSTED_SQL['image']}",
            [pids, keys],
        ).fetchone()
        posted_by = int(row[0]) if row else 0
    elif kind in _POSTED_SQL:
        row = con.execute(
            f"SELECT count(DISTINCT aid) FROM posts WHERE {_POSTED_SQL[kind]}",
            [item_keys(kind, value) + ([value.strip()] if kind == "url" else [])],
        ).fetchone()
        posted_by = int(row[0]) if row else 0
    return ItemSharers(ref, value, kind, tuple(matches), tuple(sharers), posted_by)


# Whether any post carries an item as written (a link also in its normalised form).
_POSTED_SQL = {
    "url": "list_has_any(urls, ?)",
    "hashtag": (
        "list_has_any(list_transform(hashtags, lambda h: '#' || lower(ltrim(trim(h), '#'))), ?)"
    ),
    "image": "list_has_any(list_transform(image_hashes, lambda h: lower(trim(h))), ?)",
}


def members(
    con: duckdb.DuckDBPyConnection, ref: AnalysisRef, cluster_id: str
) -> list[tuple[Account, int, int]]:
    """(account, posts in the cluster, partners) for each member, most connected first."""
    rows = con.execute(
        f"SELECT {', '.join('a.' + c.strip() for c in _ACCOUNT_COLUMNS.split(','))}, "
        "m.posts, m.partners FROM cluster_members m JOIN accounts a ON a.aid = m.aid "
        "WHERE m.analysis_id = ? AND m.cluster_id = ? ORDER BY m.partners DESC, a.account_id",
        [ref.analysis_id, cluster_id],
    ).fetchall()
    return [(_account(r[:6]), int(r[6]), int(r[7])) for r in rows]
