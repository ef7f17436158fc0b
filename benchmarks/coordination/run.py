"""Speed, memory and agreement against coordination-network-toolkit 1.5.2, side by side.

    python -m benchmarks.coordination.run [--copies 29] [--shared ../shared] [--repeat 1]

Builds the 1,018,625-post input (CooRTweet's russian_coord_tweets replicated 29 times,
accounts and post ids suffixed per copy, times shifted 400 days a copy) in the toolkit's
8-column CSV, runs the toolkit (preprocess + compute co_retweet, window 60 s, min weight 1)
and Chorus (CSV file -> stored dataset -> edges -> clusters, in a fresh process), checks
that both give the same account pairs, and prints the ratio and Chorus' peak memory; then
the floor (benchmarks/coordination/floor.py: what any such command must spend here at least).
Results are appended to benchmarks/results/coordination.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.coordination.agreement import (
    REPO,
    analyze_cli,
    edges_csv_pairs,
    ensure_toolkit,
    read_pairs,
    run_toolkit,
)
from benchmarks.coordination.floor import floor
from corpus.posts.formats import TOOLKIT_COLUMNS

RESULTS = REPO / "benchmarks" / "results"
SHIFT_S = 400 * 86_400
WINDOW = 60


def build_input(shared: Path, copies: int, out: Path) -> Path:
    if out.exists():
        return out
    src = shared / "data/real/coortweet_examples/russian_coord_tweets.csv"
    with src.open(newline="") as f:
        rows = list(csv.DictReader(f))
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(TOOLKIT_COLUMNS)
        for k in range(copies):
            for r in rows:
                account = f"{r['account_id']}_{k}"
                t = float(r["timestamp_share"]) + k * SHIFT_S
                w.writerow(
                    [
                        f"{r['content_id']}_{k}",
                        account,
                        account,
                        r["object_id"],
                        "",
                        "",
                        repr(t),
                        "",
                    ]
                )
    os.replace(tmp, out)
    return out


def run_chorus(csv_path: Path, work: Path, engine: list[str]) -> tuple[dict[str, Any], Path]:
    """`chorus analyze` as a user runs it, process start to exit, in a fresh data dir: the
    toolkit's terms (co-repost, window 60 s, every distinct shared item counts 1, every pair
    that shares one is an edge), exports written. Returns the measures and edges.csv."""
    result, measured, out = analyze_cli(
        csv_path,
        work,
        "russian_x29",
        "--signals",
        "repost",
        "--window",
        str(WINDOW),
        "--min-shared",
        "1",
        "--weighting",
        "count",
        *engine,
    )
    report: dict[str, Any] = {k: v for k, v in measured.items() if k != "stdout"}
    report |= {
        "edges": result.edges,
        "linked_accounts": result.linked_accounts,
        "clusters": len(result.clusters),
    }
    return report, out / "edges.csv"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--copies", type=int, default=29)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--repeat", type=int, default=1, help="Chorus runs (the best is reported)")
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument(
        "--skip-floor", action="store_true", help="skip the floor (imports, read+store, bytes)"
    )
    ap.add_argument("--engine", choices=["duckdb", "dask"], default="duckdb")
    ap.add_argument("--workers", type=int, default=2, help="--engine dask: local workers")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = RESULTS / "coordination"
    work.mkdir(exist_ok=True)
    csv_path = build_input(args.shared, args.copies, work / f"russian_x{args.copies}.csv")
    print(f"input: {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)")
    record: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "input_rows": sum(1 for _ in csv_path.open()) - 1,
        "window_s": WINDOW,
    }
    ref: dict[str, float] | None = None
    ref_pairs: set[frozenset[str]] = set()
    if not args.skip_reference:
        python = ensure_toolkit()
        db = work / "toolkit.db"
        ref = run_toolkit(python, csv_path, "co_retweet", WINDOW, db)
        ref_pairs = read_pairs(db, "co_retweet")
        print(
            f"coordination-network-toolkit: load {ref['load_s']:.1f} s + compute "
            f"{ref['compute_s']:.1f} s = {ref['total_s']:.1f} s, {len(ref_pairs):,} pairs"
        )
        record["toolkit"] = {**ref, "pairs": len(ref_pairs)}
    engine = ["--engine", args.engine] + (
        ["--workers", str(args.workers)] if args.engine == "dask" else []
    )
    runs = []
    edges_csv = work / "edges.csv"
    for _ in range(args.repeat):
        report, edges_csv = run_chorus(csv_path, work, engine)
        runs.append(report)
    best = min(runs, key=lambda r: float(r["wall_s"]))
    ours = edges_csv_pairs(edges_csv)
    print(
        f"chorus analyze (--engine {args.engine}), process start to exit: "
        f"{best['wall_s']:.2f} s, {best['edges']:,} pairs, {best['clusters']:,} clusters, "
        f"peak memory {best['peak_rss_mb']:.0f} MB, CPU {best['cpu_s']:.1f} s"
    )
    record["chorus"] = {"engine": args.engine, "best": best, "runs": runs}
    if ref is not None:
        same = ours == ref_pairs
        record["same_pairs"] = same
        record["speedup_whole_command"] = round(ref["total_s"] / float(best["wall_s"]), 1)
        record["cpu_ratio"] = round(ref["cpu_s"] / float(best["cpu_s"]), 1)
        print(f"same account pairs: {same} ({len(ours ^ ref_pairs)} differ)")
        print(
            f"CPU time: toolkit {ref['cpu_s']:.1f} s, chorus {best['cpu_s']:.1f} s "
            f"({record['cpu_ratio']}x)"
        )
        print(f"speed-up, whole command: {record['speedup_whole_command']}x")
    if not args.skip_floor:
        low = floor(csv_path, edges_csv.parent)
        record["floor"] = low
        print(
            "floor, each a process of its own (see benchmarks/coordination/floor.py): imports "
            f"{low['imports']['wall_s']:.2f} s + DuckDB read and store alone "
            f"{low['read_and_store']['wall_s']:.2f} s + writing the export bytes "
            f"{low['write_exports']['wall_s']:.2f} s = {low['sum_wall_s']:.2f} s"
        )
        if ref is not None:
            print(f"10x the toolkit needs the whole command in {ref['total_s'] / 10:.2f} s")
    record["load_average_after"] = os.getloadavg()
    print(
        f"machine load average before/after: {record['load_average_before']} / "
        f"{record['load_average_after']} (other work on the machine slows both tools)"
    )
    with (RESULTS / "coordination.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
