"""An item's sharers: the accounts that posted a link, hashtag, text, image or post
within the window of another account's post of it, with their clusters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from patterns.normalise import normalise_url, text_match_key, text_sql
from patterns.queries.rows import (
    Account,
    AnalysisRef,
    accounts_by_aid,
    example_post,
    posts_by_pid,
)
from patterns.results import Example

ItemKind = Literal["url", "hashtag", "text", "image", "post"]
# Which stored signals an item kind is looked up under.
ITEM_SIGNALS: dict[str, tuple[str, ...]] = {
    "url": ("url", "domain"),
    "hashtag": ("hashtags",),
    "text": ("text", "near_text"),
    "image": ("image",),
    "post": ("repost", "reply"),
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
    # A text asked for: some posts shown hold a near-identical text of its item instead.
    variants: bool = False


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
        rows = _image_items_ofposts_by_pid(con, ref, _posts_with_image(con, value))
    if not rows and kind == "text":
        rows = con.execute(
            "SELECT item, signal, label, accounts FROM items WHERE analysis_id = ? "
            "AND item IN (SELECT unnest(?)) ORDER BY accounts DESC, item",
            [ref.analysis_id, _near_text_items(con, ref, keys[0])],
        ).fetchall()
    return [ItemMatch(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


_PHASH_HEX = re.compile(r"[0-9a-f]{16}")


def _near_text_items(con: duckdb.DuckDBPyConnection, ref: AnalysisRef, key: str) -> list[int]:
    """Text items of a near-identical group that holds the text `key` (normalised) though
    another of its texts names it: the items in the evidence of the accounts that posted
    `key` whose posts there hold `key` or a text near-identical to it (Jaccard of the word
    sets at the analysis' threshold, as the groups were made)."""
    if "near_text" not in ref.params.signals:
        return []
    mode = ref.params.normalisation
    rows = con.execute(
        f"WITH mine AS (SELECT DISTINCT aid FROM posts WHERE {text_sql('text', mode)} = ?), "
        "ev AS (SELECT item, pid_a AS pid FROM evidence WHERE analysis_id = ? "
        "AND signal IN ('text', 'near_text') AND a IN (SELECT aid FROM mine) UNION "
        "SELECT item, pid_b FROM evidence WHERE analysis_id = ? "
        "AND signal IN ('text', 'near_text') AND b IN (SELECT aid FROM mine)) "
        f"SELECT DISTINCT ev.item, {text_sql('p.text', mode)} FROM ev "
        "JOIN posts p ON p.pid = ev.pid ORDER BY 1",
        [key, ref.analysis_id, ref.analysis_id],
    ).fetchall()
    asked = set(key.split(" "))
    threshold = ref.params.near_text_threshold
    found: list[int] = []
    for item, text in rows:
        words = set(str(text).split(" "))
        if int(item) not in found and len(asked & words) >= threshold * len(asked | words):
            found.append(int(item))
    return found


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


def _image_items_ofposts_by_pid(
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
        # A text asked for: each account's posts of that very text first (the others of
        # its item are near-identical to it).
        first, first_args = "", []
        if kind == "text":
            own = text_sql(
                "(SELECT text FROM posts WHERE posts.pid = s.pid)", ref.params.normalisation
            )
            first, first_args = f"({own} <> ?), ", item_keys(kind, value)
        rows = con.execute(
            "SELECT aid, pid FROM (SELECT a AS aid, pid_a AS pid, t_a AS t FROM evidence "
            "WHERE analysis_id = ? AND item IN (SELECT unnest(?)) UNION "
            "SELECT b, pid_b, t_b FROM evidence WHERE analysis_id = ? "
            f"AND item IN (SELECT unnest(?))) s ORDER BY aid, {first}t, pid",
            [ref.analysis_id, [m.item for m in matches]] * 2 + first_args,
        ).fetchall()
        by_account: dict[int, list[int]] = {}
        for a, p in rows:
            by_account.setdefault(int(a), []).append(int(p))
        accounts = accounts_by_aid(con, list(by_account))
        clusters = dict(
            con.execute(
                "SELECT aid, cluster_id FROM cluster_members WHERE analysis_id = ? "
                "AND aid IN (SELECT unnest(?))",
                [ref.analysis_id, list(by_account)],
            ).fetchall()
        )
        shown = [p for ps in by_account.values() for p in ps[:posts_per_account]]
        posts = posts_by_pid(con, shown)
        for a, ps in by_account.items():
            sharers.append(
                Sharer(
                    accounts[a],
                    clusters.get(a),
                    tuple(example_post(posts, accounts, p) for p in ps[:posts_per_account]),
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
    key = item_keys(kind, value)[:1] if kind == "text" else []
    variants = bool(key) and any(
        text_match_key(e.text, ref.params.normalisation) not in key
        for s in sharers
        for e in s.posts
    )
    return ItemSharers(ref, value, kind, tuple(matches), tuple(sharers), posted_by, variants)


# Whether any post carries an item as written (a link also in its normalised form).
_POSTED_SQL = {
    "url": "list_has_any(urls, ?)",
    "hashtag": (
        "list_has_any(list_transform(hashtags, lambda h: '#' || lower(ltrim(trim(h), '#'))), ?)"
    ),
    "image": "list_has_any(list_transform(image_hashes, lambda h: lower(trim(h))), ?)",
}
