"""Speed, memory and agreement against coordination-network-toolkit 1.5.2, side by side.

    python -m benchmarks.coordination.run [--copies 29] [--shared ../shared] [--repeat 1]

Builds the 1,018,625-post input (CooRTweet's russian_coord_tweets replicated 29 times,
accounts and post ids suffixed per copy, times shifted 400 days a copy) in the toolkit's
8-column CSV, runs the toolkit (preprocess + compute co_retweet, window 60 s, min weight 1)
and Chorus (CSV file -> stored dataset -> edges -> clusters, in a fresh process), checks
that both give the same account pairs, and prints the ratio and Chorus' peak memory.
Results are appended to benchmarks/results/coordination.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.coordination.agreement import REPO, ensure_toolkit, read_pairs, run_toolkit
from corpus.post_formats import TOOLKIT_COLUMNS

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


def run_chorus(csv_path: Path, root: Path, pairs: Path, extra: list[str]) -> dict[str, float]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.coordination.chorus_job",
        str(csv_path),
        "--root",
        str(root),
        "--pairs-out",
        str(pairs),
        *extra,
    ]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout
    report: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    report["process_s"] = round(time.perf_counter() - start, 3)
    return report


def read_tsv_pairs(path: Path) -> set[frozenset[str]]:
    with path.open() as f:
        return {frozenset(line.rstrip("\n").split("\t")) for line in f if line.strip()}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--copies", type=int, default=29)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--repeat", type=int, default=1, help="Chorus runs (the best is reported)")
    ap.add_argument("--skip-reference", action="store_true")
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
    runs = []
    for _ in range(args.repeat):
        runs.append(
            run_chorus(
                csv_path,
                work / "chorus-data",
                work / "chorus_pairs.tsv",
                [
                    "--signals",
                    "repost",
                    "--window",
                    str(WINDOW),
                    "--min-shared",
                    "1",
                    "--popular-share",
                    "1",
                    "--min-accounts",
                    "3",
                ],
            )
        )
    best = min(runs, key=lambda r: r["total_s"])
    ours = read_tsv_pairs(work / "chorus_pairs.tsv")
    print(
        f"chorus: load {best['load_s']:.2f} s, to edges {best['to_edges_s']:.2f} s, "
        f"total with clusters and saving {best['total_s']:.2f} s, {best['edges']:,} pairs, "
        f"{best['clusters']:,} clusters, peak memory {best['peak_rss_mb']:.0f} MB"
    )
    record["chorus"] = {"best": best, "runs": runs}
    if ref is not None:
        same = ours == ref_pairs
        record["same_pairs"] = same
        record["speedup_to_edges"] = round(ref["total_s"] / best["to_edges_s"], 1)
        record["speedup_total"] = round(ref["total_s"] / best["total_s"], 1)
        record["cpu_ratio"] = round(ref["cpu_s"] / best["cpu_s"], 1)
        print(f"same account pairs: {same} ({len(ours ^ ref_pairs)} differ)")
        print(
            f"CPU time: toolkit {ref['cpu_s']:.1f} s, chorus {best['cpu_s']:.1f} s "
            f"({record['cpu_ratio']}x)"
        )
        print(
            f"speed-up: {record['speedup_to_edges']}x to edges, {record['speedup_total']}x "
            "with clustering and saving"
        )
    record["load_average_after"] = os.getloadavg()
    print(
        f"machine load average before/after: {record['load_average_before']} / "
        f"{record['load_average_after']} (other work on the machine slows both tools)"
    )
    with (RESULTS / "coordination.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
