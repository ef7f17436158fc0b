"""Signals: turn stored posts into occurrences (item, time, account, post) for each selected
signal, sorted by (item, time) for the window walk.

An item is one shareable thing under one signal: a normalised text (or a group of
near-identical texts), a normalised URL, a link domain, a hashtag set, an image hash (an
id the data carries, or a group of near-identical perceptual hashes), a repost target, a
reply target. Only items posted by at least two accounts can link
anyone, so the rest are dropped here, in SQL, before any pairing.

Reposts carry their original's text, links and media, so content signals use original
posts only; the repost signal uses reposts (as coordination-network-toolkit does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from common.progress import Progress, no_progress
from patterns.arrays import distinct
from patterns.config import ALL_SIGNALS
from patterns.nearimage import (
    build_image_groups,
    has_post_images,
    perceptual_image_occurrences,
)
from patterns.neartext import build_groups
from patterns.normalise import hashtag_set_sql, normalise_url, text_sql, url_domain
from patterns.params import AnalysisParams

logger = logging.getLogger(__name__)

SIGNAL_CODE: dict[str, int] = {name: i for i, name in enumerate(ALL_SIGNALS)}
ORIGINAL = "repost_of IS NULL"


@dataclass(frozen=True)
class Occurrences:
    """Rows sorted by (item, t, pid). `sub` is the exact-text id inside a near-identical
    group (-1 elsewhere), so a co-post can be told apart as identical or near-identical."""

    item: npt.NDArray[np.int64]
    t: npt.NDArray[np.float64]
    aid: npt.NDArray[np.int32]
    pid: npt.NDArray[np.int32]
    sub: npt.NDArray[np.int32]
    item_signal: npt.NDArray[np.int8]  # by item id: SIGNAL_CODE of the item's signal
    item_accounts: npt.NDArray[np.int32]  # by item id: distinct accounts posting it
    split_near: bool  # text items are near-identical groups and "text" is also selected

    @property
    def n_items(self) -> int:
        return int(self.item_signal.shape[0])


def _url_map(con: duckdb.DuckDBPyConnection, params: AnalysisParams) -> None:
    """_urlmap(u, nu, dom): each distinct raw link, normalised once (in Python, which
    knows URL syntax), rather than once per post."""
    raw = con.execute(
        f"SELECT DISTINCT u FROM (SELECT unnest(urls) AS u FROM posts WHERE {ORIGINAL} "
        "AND urls IS NOT NULL) WHERE u IS NOT NULL"
    ).fetchall()
    us = [r[0] for r in raw]
    chorus = [normalise_url(u) for u in us]
    nus = chorus if params.normalisation == "chorus" else [u.strip() for u in us]
    doms = [url_domain(u) for u in chorus]
    con.register(
        "_urlmap_in",
        pa.table(
            {"u": us, "nu": nus, "dom": doms},
            schema=pa.schema([("u", pa.string()), ("nu", pa.string()), ("dom", pa.string())]),
        ),
    )
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _urlmap AS SELECT * FROM _urlmap_in")
    finally:
        con.unregister("_urlmap_in")


def build_occurrences(
    con: duckdb.DuckDBPyConnection, params: AnalysisParams, progress: Progress = no_progress
) -> Occurrences:
    """Create temp tables _occ and _items on the dataset connection; return the sorted
    occurrence arrays. _items(item, sig, key, n_acc, first_pid) keeps labels for evidence."""
    progress("signals", 0, 2)
    sigs = set(params.signals)
    parts: list[str] = []
    mode = params.normalisation
    split_near = "text" in sigs and "near_text" in sigs
    if sigs & {"text", "near_text"}:
        code = SIGNAL_CODE["text" if "text" in sigs else "near_text"]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _tx AS SELECT pid, aid, t, nt FROM ("
            f"SELECT pid, aid, t, {text_sql('text', mode)} AS nt FROM posts "
            f"WHERE {ORIGINAL} AND text IS NOT NULL) WHERE nt <> ''"
        )
        if "near_text" in sigs:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _tid AS SELECT "
                "CAST(row_number() OVER (ORDER BY first_pid) - 1 AS INTEGER) AS tid, nt "
                "FROM (SELECT nt, min(pid) AS first_pid FROM _tx GROUP BY nt)"
            )
            build_groups(
                con,
                "_tid",
                threshold=params.near_text_threshold,
                seed=params.seed,
                progress=progress,
            )
            parts.append(
                f"SELECT {code} AS sig, CASE WHEN g.grp IS NULL THEN 't' || i.tid "
                "ELSE 'g' || g.grp END AS key, x.t, x.aid, x.pid, i.tid AS sub "
                "FROM _tx x JOIN _tid i ON x.nt = i.nt LEFT JOIN _tgroup g ON g.tid = i.tid"
            )
        else:
            parts.append(f"SELECT {code} AS sig, nt AS key, t, aid, pid, -1 AS sub FROM _tx")
    if sigs & {"url", "domain"}:
        _url_map(con, params)
        link_rows = (
            f"(SELECT pid, aid, t, unnest(list_distinct(urls)) AS u FROM posts "
            f"WHERE {ORIGINAL} AND urls IS NOT NULL)"
        )
        if "url" in sigs:
            parts.append(
                f"SELECT DISTINCT {SIGNAL_CODE['url']} AS sig, m.nu AS key, p.t, p.aid, p.pid, "
                f"-1 AS sub FROM {link_rows} p JOIN _urlmap m ON m.u = p.u WHERE m.nu <> ''"
            )
        if "domain" in sigs:
            parts.append(
                f"SELECT DISTINCT {SIGNAL_CODE['domain']} AS sig, key, t, aid, pid, -1 AS sub "
                f"FROM (SELECT m.dom AS key, p.t, p.aid, p.pid FROM {link_rows} p "
                "JOIN _urlmap m ON m.u = p.u UNION ALL "
                "SELECT lower(trim(d)) AS key, t, aid, pid FROM (SELECT t, aid, pid, "
                f"unnest(domains) AS d FROM posts WHERE {ORIGINAL} AND domains IS NOT NULL)) "
                "WHERE key <> ''"
            )
    if "hashtags" in sigs:
        parts.append(
            f"SELECT {SIGNAL_CODE['hashtags']} AS sig, key, t, aid, pid, -1 AS sub FROM ("
            f"SELECT {hashtag_set_sql('hashtags')} AS key, t, aid, pid FROM posts "
            f"WHERE {ORIGINAL} AND hashtags IS NOT NULL) WHERE key <> ''"
        )
    if "image" in sigs:
        parts.extend(_image_parts(con, params, progress))
    if "repost" in sigs:
        parts.append(
            f"SELECT {SIGNAL_CODE['repost']} AS sig, repost_of AS key, t, aid, pid, -1 AS sub "
            "FROM posts WHERE repost_of IS NOT NULL"
        )
    if "reply" in sigs:
        parts.append(
            f"SELECT {SIGNAL_CODE['reply']} AS sig, reply_to AS key, t, aid, pid, -1 AS sub "
            f"FROM posts WHERE reply_to IS NOT NULL AND {ORIGINAL}"
        )
    union = " UNION ALL ".join(parts)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _occ AS {union}")
    # Items posted at least twice; distinct accounts are counted below, in numpy (a
    # DISTINCT aggregate costs DuckDB six times a plain count here). Numbered in a total
    # order: one post holds several links or hashtag sets, and with the first post alone
    # their ids (and every listing by id) came out in either order from run to run.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _items AS SELECT "
        "CAST(row_number() OVER (ORDER BY sig, first_pid, key) - 1 AS INTEGER) AS item, "
        "sig, key, first_pid FROM ("
        "SELECT sig, key, min(pid) AS first_pid FROM _occ GROUP BY sig, key HAVING count(*) >= 2)"
    )
    progress("signals", 1, 2)
    got = con.execute(
        "SELECT i.item, o.t, o.aid, o.pid, o.sub FROM _occ o "
        "JOIN _items i ON o.sig = i.sig AND o.key = i.key"
    ).fetchnumpy()
    signal = np.asarray(con.execute("SELECT sig FROM _items ORDER BY item").fetchnumpy()["sig"])
    # What built the occurrences is no longer needed: give DuckDB its memory back now
    # (_items stays, for the labels of evidence).
    for table in ("_occ", "_tx", "_tid", "_tgroup", "_urlmap", "_igroup"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    item = np.asarray(got["item"], dtype=np.int64)
    t = np.asarray(got["t"], dtype=np.float64)
    aid = np.asarray(got["aid"], dtype=np.int32)
    pid = np.asarray(got["pid"], dtype=np.int32)
    sub = np.asarray(got["sub"], dtype=np.int32)
    order = np.lexsort((pid, t, item))  # the window walk's order
    item, t, aid, pid, sub = item[order], t[order], aid[order], pid[order], sub[order]
    accounts = _accounts_per_item(item, aid, signal.size)
    keep = accounts[item] >= 2  # one account alone links nobody
    if not keep.all():
        item, t, aid, pid, sub = item[keep], t[keep], aid[keep], pid[keep], sub[keep]
    progress("signals", 2, 2)
    return Occurrences(
        item=item,
        t=t,
        aid=aid,
        pid=pid,
        sub=sub,
        item_signal=signal.astype(np.int8),
        item_accounts=accounts.astype(np.int32),
        split_near=split_near,
    )


def _image_parts(
    con: duckdb.DuckDBPyConnection, params: AnalysisParams, progress: Progress
) -> list[str]:
    """Image occurrences: ids the data carries (exact), and perceptual hashes, grouped
    into near-identical images first (patterns.nearimage, table _igroup). A post whose
    pictures were hashed is matched by them only: its media ids (Twitter's media keys
    name the same pictures) would count one shared picture twice."""
    hashed = has_post_images(con)
    skip = " AND pid NOT IN (SELECT pid FROM post_images)" if hashed else ""
    parts = [
        f"SELECT DISTINCT {SIGNAL_CODE['image']} AS sig, lower(trim(h)) AS key, t, aid, pid, "
        f"-1 AS sub FROM (SELECT t, aid, pid, unnest(image_hashes) AS h FROM posts "
        f"WHERE {ORIGINAL} AND image_hashes IS NOT NULL{skip}) WHERE trim(h) <> ''"
    ]
    if hashed:
        build_image_groups(con, max_distance=params.image_distance, progress=progress)
        parts.append(perceptual_image_occurrences(SIGNAL_CODE["image"], ORIGINAL))
    return parts


def _accounts_per_item(
    item: npt.NDArray[np.int64], aid: npt.NDArray[np.int32], n_items: int
) -> npt.NDArray[np.int64]:
    if not item.size:
        return np.zeros(n_items, dtype=np.int64)
    span = int(aid.max()) + 1
    pairs = distinct(item * span + aid)
    return np.bincount(pairs // span, minlength=n_items)


def item_labels(con: duckdb.DuckDBPyConnection, item_ids: npt.NDArray[np.int64]) -> dict[int, str]:
    """Readable labels for items: the first post's original text for text items (the
    normalised form is for matching, not for reading), the key itself otherwise."""
    if not item_ids.size:
        return {}
    con.register("_want", pa.table({"item": distinct(item_ids).astype(np.int32)}))
    try:
        rows = con.execute(
            "SELECT i.item, CASE WHEN i.sig IN (?, ?) THEN coalesce(p.text, i.key) "
            "WHEN i.sig = ? THEN '#' || replace(i.key, ' ', ' #') ELSE i.key END "
            "FROM _items i JOIN _want w ON w.item = i.item "
            "LEFT JOIN posts p ON p.pid = i.first_pid",
            [SIGNAL_CODE["text"], SIGNAL_CODE["near_text"], SIGNAL_CODE["hashtags"]],
        ).fetchall()
    finally:
        con.unregister("_want")
    return {int(r[0]): str(r[1]) for r in rows}
