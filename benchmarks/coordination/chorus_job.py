"""One Chorus analysis in a fresh process, measured: `python -m
benchmarks.coordination.chorus_job INPUT --root DIR [--signals ...]` prints one JSON line
(stage times, edges, clusters, peak memory) and can write the account pairs to a file.

A fresh process per run, so peak memory (ru_maxrss, which includes DuckDB's native memory)
belongs to this analysis alone."""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

from patterns.config import AnalysisConfig
from patterns.service import PatternService


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--name", default="bench")
    ap.add_argument("--signals")
    ap.add_argument("--window", default="60")
    ap.add_argument("--min-shared", type=float)
    ap.add_argument("--min-accounts", type=int)
    ap.add_argument("--popular-share", type=float)
    ap.add_argument("--normalisation")
    ap.add_argument("--pairs-out", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the data dir (default: fresh)")
    args = ap.parse_args()
    if not args.keep:
        shutil.rmtree(args.root, ignore_errors=True)
    svc = PatternService(
        args.root,
        AnalysisConfig(),
        max_rows=50_000_000,
        max_bytes=20_000_000_000,
        max_field_chars=100_000,
        max_columns=500,
    )
    params = svc.params(
        signals=args.signals,
        window_s=args.window,
        min_shared=args.min_shared,
        min_accounts=args.min_accounts,
        popular_share=args.popular_share,
        normalisation=args.normalisation,
    )
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int | None) -> None:
        marks.setdefault(stage, time.perf_counter() - start)

    result = svc.analyze_file(
        args.input, scope="bench", name=args.name, params=params, progress=progress
    )
    total = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    if args.pairs_out:
        with args.pairs_out.open("w") as f:
            for a, b, _w in svc.edge_list(args.name, scope="bench"):
                f.write(f"{a}\t{b}\n")
    report = {
        "total_s": round(total, 3),
        # Load = file to stored posts; edges = + signals and pairing; the rest is
        # clustering, cluster descriptions and saving.
        "load_s": round(marks.get("signals", total), 3),
        "to_edges_s": round(marks.get("clustering", total), 3),
        "posts": result.posts,
        "accounts": result.accounts,
        "edges": result.edges,
        "linked_accounts": result.linked_accounts,
        "clusters": len(result.clusters),
        "window_s": result.window_s,
        "peak_rss_mb": round(peak_mb, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "signals": list(result.params.signals),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
