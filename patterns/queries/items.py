"""An item's posters and sharers: every account whose stored posts carry a link, hashtag,
text, image or post, and those of them that posted it within the window of another
account's post of it in a pair the analysis linked, with their clusters."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pyarrow as pa

from patterns.neartext import MIN_TOKENS
from patterns.normalise import normalise_url, text_match_key, text_sql, url_domain
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


# How a post's text matches a text asked for (normalised as the analysis normalises):
# the whole text, a contiguous run of its words, or near-identical (Jaccard of the word
# sets at the analysis' threshold, as near-identical groups are made).
TEXT_MATCHES = ("exact", "contains", "near-identical")
POSTERS_KEPT = 200  # posters listed (all are counted)


@dataclass(frozen=True)
class Sharer:
    account: Account
    cluster_id: str | None
    posts: tuple[Example, ...]  # its posts of the item that paired within the window
    match: str = ""  # a text asked for: the closest match among those posts (TEXT_MATCHES)
    partners: int = 0  # linked accounts inside its cluster (0 outside clusters)

    @property
    def member_order(self) -> tuple[int, str]:
        """The order of a cluster's Members section: most partners, then account id."""
        return -self.partners, self.account.account_id


@dataclass(frozen=True)
class Poster:
    """An account whose stored posts carry the item, paired or not."""

    account: Account
    posts: int  # its posts that carry it
    example: Example  # one of them (a text: a closest match)
    match: str = ""  # a text asked for: its closest match (TEXT_MATCHES)


@dataclass(frozen=True)
class ItemSharers:
    ref: AnalysisRef
    asked: str
    kind: ItemKind
    matches: tuple[ItemMatch, ...]
    sharers: tuple[Sharer, ...]  # in linked pairs, most paired posts first
    posted_by: int  # every account whose stored posts carry it (0: in no post)
    posters: tuple[Poster, ...] = ()  # the first POSTERS_KEPT of them (closest match first)
    # A text asked for: accounts by their closest match, over all posters.
    by_match: dict[str, int] = field(default_factory=dict)

    @property
    def unpaired(self) -> int:
        """Posters in no linked pair for it."""
        return self.posted_by - len(self.sharers)


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
    """The analysis' items equal to `value` (a hashtag: every hashtag set holding it; a
    text: items named by that very text; item_sharers finds a text's items by its posts)."""
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
    """Every account whose stored posts carry the item (counted from the posts, not from
    the analysis, which keeps only what linked pairs shared), and those of them that posted
    it within the window of another account's post of it (as the stored evidence of linked
    pairs records), each with its cluster. A text is found in whole, in part or
    near-identically; an account's paired posts of it come closest match first."""
    asked = _asked_posts(con, ref, kind, value)
    con.register("_asked_posts", asked)
    try:
        if kind == "text":
            matches = _text_items(con, ref)
            evidence = (
                "SELECT s.aid, s.pid, m.how FROM (SELECT a AS aid, pid_a AS pid, t_a AS t "
                "FROM evidence WHERE analysis_id = $a AND signal IN ('text', 'near_text') "
                "UNION SELECT b, pid_b, t_b FROM evidence WHERE analysis_id = $a "
                "AND signal IN ('text', 'near_text')) s JOIN _asked_posts m ON m.pid = s.pid "
                "ORDER BY s.aid, m.how, s.t, s.pid"
            )
            args: dict[str, object] = {"a": ref.analysis_id}
        else:
            matches = match_items(con, ref, kind, value)
            evidence = (
                "SELECT aid, pid, 0 FROM (SELECT a AS aid, pid_a AS pid, t_a AS t FROM evidence "
                "WHERE analysis_id = $a AND item IN (SELECT unnest($i)) UNION "
                "SELECT b, pid_b, t_b FROM evidence WHERE analysis_id = $a "
                "AND item IN (SELECT unnest($i))) ORDER BY aid, t, pid"
            )
            args = {"a": ref.analysis_id, "i": [m.item for m in matches]}
        paired = con.execute(evidence, args).fetchall() if matches else []
        posters = con.execute(
            "SELECT aid, how, n, pid FROM (SELECT aid, how, pid, count(*) OVER w AS n, "
            "row_number() OVER (w ORDER BY how, t, pid) AS k FROM _asked_posts "
            "WINDOW w AS (PARTITION BY aid)) WHERE k = 1 ORDER BY how, n DESC, aid"
        ).fetchall()
    finally:
        con.unregister("_asked_posts")
    by_account: dict[int, list[tuple[int, int]]] = {}
    for a, p, how in paired:
        by_account.setdefault(int(a), []).append((int(p), int(how)))
    kept = posters[:POSTERS_KEPT]
    aids = list(by_account) + [int(r[0]) for r in kept]
    accounts = accounts_by_aid(con, aids)
    membership = {
        int(a): (str(c), int(n))
        for a, c, n in con.execute(
            "SELECT aid, cluster_id, partners FROM cluster_members WHERE analysis_id = ? "
            "AND aid IN (SELECT unnest(?))",
            [ref.analysis_id, list(by_account)],
        ).fetchall()
    }
    shown = [p for ps in by_account.values() for p, _ in ps[:posts_per_account]]
    posts = posts_by_pid(con, shown + [int(r[3]) for r in kept])

    def label(how: int) -> str:
        return TEXT_MATCHES[how] if kind == "text" else ""

    sharers = [
        Sharer(
            accounts[a],
            membership[a][0] if a in membership else None,
            tuple(example_post(posts, accounts, p) for p, _ in ps[:posts_per_account]),
            label(ps[0][1]),
            membership[a][1] if a in membership else 0,
        )
        for a, ps in by_account.items()
    ]
    sharers.sort(key=lambda s: (-len(by_account[s.account.aid]), s.account.account_id))
    listed = tuple(
        Poster(accounts[int(a)], int(n), example_post(posts, accounts, int(p)), label(int(how)))
        for a, how, n, p in kept
    )
    # An account the evidence holds but the posts' lookup missed (a near-identical image
    # group's other pictures) still posted it; so does every account an item counted.
    counted = len({int(r[0]) for r in posters} | set(by_account))
    posted_by = max([counted] + [m.accounts for m in matches if kind == "image"])
    by_match: dict[str, int] = {}
    if kind == "text":
        for r in posters:
            by_match[label(int(r[1]))] = by_match.get(label(int(r[1])), 0) + 1
    return ItemSharers(
        ref, value, kind, tuple(matches), tuple(sharers), posted_by, listed, by_match
    )


def _asked_posts(
    con: duckdb.DuckDBPyConnection, ref: AnalysisRef, kind: ItemKind, value: str
) -> pa.Table:
    """(pid, aid, t, how) of every stored post that carries the item; `how` ranks a text's
    match (an index of TEXT_MATCHES), 0 for any other kind."""
    if kind == "text":
        key = text_match_key(value, ref.params.normalisation)
        return _text_posts(con, ref, key)
    keys = item_keys(kind, value)
    cols = "pid, aid, t, 0 AS how"
    where, args = "false", dict[str, object]()
    if not keys:
        pass
    elif kind == "url":
        where, args = "list_has_any(urls, $k)", {"k": _link_forms(con, ref, keys)}
    elif kind == "hashtag":
        where, args = (
            "list_has_any(list_transform(hashtags, "
            "lambda h: '#' || lower(ltrim(trim(h), '#\uff03'))), $k)",
            {"k": keys},
        )
    elif kind == "image":
        where = (
            "pid IN (SELECT unnest($p)) OR "
            "list_has_any(list_transform(image_hashes, lambda h: lower(trim(h))), $k)"
        )
        args = {"p": _posts_with_image(con, value), "k": keys}
    else:
        where, args = (
            "repost_of IN (SELECT unnest($k)) OR reply_to IN (SELECT unnest($k))",
            {"k": keys},
        )
    return con.sql(f"SELECT {cols} FROM posts WHERE {where}", params=args).to_arrow_table()


def _text_posts(con: duckdb.DuckDBPyConnection, ref: AnalysisRef, key: str) -> pa.Table:
    """Posts whose normalised text is `key` (0), holds it as a run of whole words (1), or
    is near-identical to it (2: only for a text of MIN_TOKENS distinct words or more, as
    near-identical groups are made)."""
    words = sorted(set(key.split(" ")))
    jaccard = ref.params.near_text_threshold - 1e-12
    near = (
        "OR len(list_intersect(w, $w)) >= $j * len(list_distinct(list_concat(w, $w)))"
        if len(words) >= MIN_TOKENS
        else ""
    )
    # Every word of a normalised text is a run of its lower-cased text, so a post can only
    # match when its raw text holds all the key's words (near-identical: the share of them the
    # Jaccard bar needs). Counting those is cheap; normalising every post per question is not.
    need = max(1, math.ceil(jaccard * len(words))) if near else len(words)
    held = " + ".join(f"contains(low, $w{i})::INT" for i in range(len(words)))
    args: dict[str, object] = {f"w{i}": w for i, w in enumerate(words)}
    args.update({"k": key, "pk": f" {key} ", "need": need})
    if near:
        args.update({"w": words, "j": jaccard})
    return con.sql(
        "SELECT pid, aid, t, CASE WHEN nt = $k THEN 0 WHEN contains(' ' || nt || ' ', $pk) "
        "THEN 1 ELSE 2 END AS how FROM (SELECT pid, aid, t, nt, string_split(nt, ' ') AS w "
        f"FROM (SELECT pid, aid, t, {text_sql('text', ref.params.normalisation)} AS nt "
        "FROM (SELECT pid, aid, t, text, lower(text) AS low FROM posts WHERE text IS NOT NULL) "
        f"WHERE {held} >= $need)) "
        f"WHERE nt <> '' AND (nt = $k OR contains(' ' || nt || ' ', $pk) {near})",
        params=args,
    ).to_arrow_table()


def _text_items(con: duckdb.DuckDBPyConnection, ref: AnalysisRef) -> list[ItemMatch]:
    """The text items whose linked posts include posts in _asked_posts."""
    rows = con.execute(
        "SELECT item, signal, label, accounts FROM items WHERE analysis_id = $a AND item IN ("
        "SELECT item FROM evidence WHERE analysis_id = $a AND signal IN ('text', 'near_text') "
        "AND (pid_a IN (SELECT pid FROM _asked_posts) OR pid_b IN (SELECT pid FROM _asked_posts)))"
        " ORDER BY accounts DESC, item",
        {"a": ref.analysis_id},
    ).fetchall()
    return [ItemMatch(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


def _link_forms(con: duckdb.DuckDBPyConnection, ref: AnalysisRef, keys: list[str]) -> list[str]:
    """The links as posts write them that are the link asked for: equal to one of `keys`
    as written or once normalised as the analysis normalises links. Only links holding
    the host are normalised (not every distinct link of the dataset)."""
    hosts = {(url_domain(k) or k).lower() for k in keys}
    rows = con.execute(
        "SELECT DISTINCT u FROM (SELECT unnest(urls) AS u FROM posts WHERE urls IS NOT NULL) "
        "WHERE list_bool_or(list_transform($h, lambda h: contains(lower(u), h)))",
        {"h": sorted(hosts)},
    ).fetchall()
    wanted = set(keys)
    mode = ref.params.normalisation
    return sorted(
        str(u) for (u,) in rows if str(u).strip() in wanted or normalise_url(str(u), mode) in wanted
    )
