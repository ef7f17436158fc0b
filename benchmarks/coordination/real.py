"""Chorus on the real datasets in ../shared/data/real (issue 3, point 9), plus agreement
with coordination-network-toolkit on real data.

    python -m benchmarks.coordination.real [--shared ../shared] [--skip-reference]

- IRA troll tweets: how many of the 285 labelled accounts land in clusters at default
  settings (and by account category), and at a few other settings;
- CooRTweet russian_coord_tweets: nodes and edges at window 60 s (co-repost, min-shared 1,
  no down-weighting: the toolkit's semantics) and clusters at default settings;
- CooRTweet german_elections: clusters at default settings;
- agreement: IRA co-tweet (toolkit text normalisation) and co-link, russian co-retweet.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.coordination.agreement import (
    REPO,
    analyze_cli,
    chorus_pairs,
    ensure_toolkit,
    read_pairs,
    run_toolkit,
)
from corpus.posts.formats import TOOLKIT_COLUMNS
from patterns.normalise import text_match_key
from patterns.results import AnalysisResult

RESULTS = REPO / "benchmarks" / "results"


def timed(path: Path, work: Path, name: str, *flags: str) -> tuple[AnalysisResult, float]:
    """One `chorus analyze` command (fresh data dir) and its wall time, process start to exit."""
    result, measured, _ = analyze_cli(path, work, name, *flags)
    return result, round(measured["wall_s"], 2)


def sorted_sizes(result: AnalysisResult) -> list[int]:
    """Cluster sizes, largest first (clusters come ranked by score, not size)."""
    return sorted((c.size for c in result.clusters), reverse=True)


def ira(shared: Path, work: Path) -> dict[str, Any]:
    folder = shared / "data/real/ira_troll_tweets_2016oct"
    with (folder / "authors.csv").open() as f:
        category = {r["author_id"]: r["account_category"] for r in csv.DictReader(f)}
    out: dict[str, Any] = {"labelled_accounts": len(category), "runs": []}
    for label, flags in (
        ("defaults (window 60 s, min-shared 2)", ()),
        ("window auto", ("--window", "auto")),
        ("window 300 s", ("--window", "300")),
        ("min-shared 1", ("--min-shared", "1")),
    ):
        result, seconds = timed(folder / "tweets.csv", work, "ira", *flags)
        flagged = {a for c in result.clusters for a in c.accounts}
        run = {
            "settings": label,
            "window_s": result.window_s,
            "seconds": seconds,
            "clusters": len(result.clusters),
            "accounts_in_clusters": len(flagged),
            "by_category": dict(Counter(category[a] for a in flagged).most_common()),
            "largest": sorted_sizes(result)[:5],
        }
        out["runs"].append(run)
        print(
            f"IRA {label}: {len(flagged)} of {len(category)} labelled accounts in "
            f"{len(result.clusters)} clusters ({run['by_category']}), {seconds} s"
        )
    out["categories"] = dict(Counter(category.values()).most_common())
    return out


def russian(shared: Path, work: Path) -> dict[str, Any]:
    path = shared / "data/real/coortweet_examples/russian_coord_tweets.csv"
    result, seconds = timed(
        path,
        work,
        "russian",
        "--signals",
        "repost",
        "--window",
        "60",
        "--min-shared",
        "1",
        "--weighting",
        "count",
    )
    toolkit_like = {
        "nodes": result.linked_accounts,
        "edges": result.edges,
        "seconds": seconds,
        "clusters_min3": len(result.clusters),
    }
    print(
        f"russian_coord_tweets, window 60 s, co-repost, min-shared 1: "
        f"{result.linked_accounts:,} nodes, {result.edges:,} edges, {len(result.clusters)} "
        f"clusters of 3+ ({seconds} s)"
    )
    default, seconds = timed(path, work, "russian")
    print(
        f"russian_coord_tweets, defaults: {default.linked_accounts:,} nodes, {default.edges:,} "
        f"edges, {len(default.clusters)} clusters ({seconds} s)"
    )
    return {
        "window_60_min_shared_1": toolkit_like,
        "defaults": {
            "nodes": default.linked_accounts,
            "edges": default.edges,
            "clusters": len(default.clusters),
            "seconds": seconds,
        },
    }


def german(shared: Path, work: Path) -> dict[str, Any]:
    path = shared / "data/real/coortweet_examples/german_elections.csv"
    result, seconds = timed(path, work, "german")
    signals = Counter(s for c in result.clusters for s in c.signals)
    load = result.load
    print(
        f"german_elections, defaults: {result.posts:,} posts ({load.merged_rows if load else 0:,} "
        f"rows merged), {result.linked_accounts:,} nodes, {result.edges:,} edges, "
        f"{len(result.clusters)} clusters, largest {sorted_sizes(result)[:8]}, "
        f"signals {dict(signals)} ({seconds} s)"
    )
    return {
        "posts": result.posts,
        "nodes": result.linked_accounts,
        "edges": result.edges,
        "clusters": len(result.clusters),
        "largest": sorted_sizes(result)[:8],
        "signals": dict(signals),
        "seconds": seconds,
    }


def ira_toolkit_csv(shared: Path, out: Path) -> tuple[Path, int]:
    """The IRA tweets in the toolkit's CSV; rows whose text normalises to "" are left out
    (the toolkit pairs every empty text with every other)."""
    dropped = 0
    src = shared / "data/real/ira_troll_tweets_2016oct/tweets.csv"
    with src.open(newline="") as f, out.open("w", newline="") as g:
        w = csv.writer(g)
        w.writerow(TOOLKIT_COLUMNS)
        for r in csv.DictReader(f):
            if not text_match_key(r["content"], "toolkit"):
                dropped += 1
                continue
            w.writerow(
                [
                    r["row_id"],
                    r["author_id"],
                    r["author"],
                    "",
                    "",
                    r["content"],
                    r["timestamp"],
                    r["urls"],
                ]
            )
    return out, dropped


def german_toolkit_csv(shared: Path, out: Path) -> Path:
    """CooRTweet's german_elections (one row per post and object) as the toolkit's CSV: one
    row per post, its url_ids as the links (co-link is the network this set supports)."""
    posts: dict[str, list[str]] = {}
    meta: dict[str, tuple[str, str]] = {}
    src = shared / "data/real/coortweet_examples/german_elections.csv"
    with src.open(newline="") as f:
        for r in csv.DictReader(f):
            meta.setdefault(r["post_id"], (r["account_id"], r["timestamp"]))
            links = posts.setdefault(r["post_id"], [])
            if r["url_id"] and r["url_id"] not in links:
                links.append(r["url_id"])
    with out.open("w", newline="") as g:
        w = csv.writer(g)
        w.writerow(TOOLKIT_COLUMNS)
        for pid, links in posts.items():
            account, t = meta[pid]
            w.writerow([pid, account, account, "", "", "", t, " ".join(links)])
    return out


def agreement(shared: Path, work: Path) -> dict[str, Any]:
    python = ensure_toolkit()
    out: dict[str, Any] = {}
    tk_csv, dropped = ira_toolkit_csv(shared, work / "ira_toolkit.csv")
    russian_csv = shared / "data/real/coortweet_examples/russian_coord_tweets.csv"
    russian_tk = work / "russian_toolkit.csv"
    with russian_csv.open(newline="") as f, russian_tk.open("w", newline="") as g:
        w = csv.writer(g)
        w.writerow(TOOLKIT_COLUMNS)
        for r in csv.DictReader(f):
            w.writerow(
                [
                    r["content_id"],
                    r["account_id"],
                    r["account_id"],
                    r["object_id"],
                    "",
                    "",
                    r["timestamp_share"],
                    "",
                ]
            )
    cases = (
        ("IRA co-tweet", tk_csv, "co_tweet"),
        ("IRA co-link", tk_csv, "co_link"),
        ("russian co-retweet", russian_tk, "co_retweet"),
        ("german co-link", german_toolkit_csv(shared, work / "german_toolkit.csv"), "co_link"),
    )
    for label, path, network in cases:
        db = work / f"{network}.db"
        times = run_toolkit(python, path, network, 60, db)
        theirs = read_pairs(db, network)
        ours = chorus_pairs(path, network, 60, work / "agree")
        out[label] = {
            "toolkit_pairs": len(theirs),
            "chorus_pairs": len(ours),
            "same": ours == theirs,
            "toolkit_s": round(times["total_s"], 2),
        }
        print(
            f"agreement, {label}: toolkit {len(theirs):,} pairs, chorus {len(ours):,}, "
            f"same: {ours == theirs}"
        )
    run_toolkit(python, tk_csv, "co_link", 60, work / "bug.db", fix_empty_urls=False)
    with_bug = read_pairs(work / "bug.db", "co_link")
    out["IRA co-link, toolkit empty-URL bug kept"] = len(with_bug)
    out["ira_rows_left_out_empty_text"] = dropped
    added = len(with_bug) - out["IRA co-link"]["toolkit_pairs"]
    print(f"the toolkit's empty-URL rows would add {added:,} co-link pairs on IRA")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()
    work = RESULTS / "coordination-real"
    work.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
    }
    record["ira"] = ira(args.shared, work)
    record["russian"] = russian(args.shared, work)
    record["german"] = german(args.shared, work)
    if not args.skip_reference:
        record["agreement"] = agreement(args.shared, work)
    record["load_average_after"] = os.getloadavg()
    with (RESULTS / "coordination-real.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
