"""Planted campaigns: precision and recall, and speed on a million posts.

    python -m benchmarks.coordination.synthetic [--skip-million] [--skip-quality]

1. The default Scenario (about 45,000 posts, 2,095 accounts, two planted campaigns of 70
   and 25 accounts): account-level precision and recall at default settings, without
   down-weighting popular items, and at a few other settings.
2. A scenario of about a million posts: all signals, all but near-identical text, and
   near-identical text alone, each as one `chorus analyze ... --out` command (process start
   to exit, peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.coordination.agreement import REPO, analyze_cli, edges_csv_pairs
from patterns.params import ALL_SIGNALS, AnalysisConfig
from patterns.service import PatternService
from tests.support.synthetic import Scenario, generate, score_accounts, write_csv

RESULTS = REPO / "benchmarks" / "results"
MILLION = Scenario(
    organic_accounts=40_000,
    organic_posts=950_000,
    days=14.0,
    campaigns=(70, 25, 40),
    messages_per_campaign=20,
    viral_items=120,
    viral_reposters=(100, 800),
    seed=11,
)
SETTINGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("defaults", {}),
    ("no down-weighting (popular-share 1)", {"popular_share": 1.0}),
    ("popular-share 0.05", {"popular_share": 0.05}),
    ("min-shared 3", {"min_shared": 3}),
    ("window 300 s", {"window_s": 300}),
    ("window auto", {"window_s": "auto"}),
)


def quality(work: Path) -> list[dict[str, Any]]:
    planted = generate()
    path = write_csv(planted, work / "synthetic.csv")
    root = work / "quality-data"
    shutil.rmtree(root, ignore_errors=True)
    svc = PatternService(
        root,
        AnalysisConfig(),
        max_rows=10_000_000,
        max_bytes=2_000_000_000,
        max_field_chars=100_000,
        max_columns=500,
    )
    rows = []
    for label, overrides in SETTINGS:
        result = svc.analyze_file(path, scope="q", params=svc.params(**overrides))
        flagged = [a for c in result.clusters for a in c.accounts]
        s = score_accounts(flagged, planted.campaign_of)
        rows.append(
            {
                "settings": label,
                "window_s": result.window_s,
                "clusters": len(result.clusters),
                "precision": round(s.precision, 3),
                "recall": round(s.recall, 3),
                "flagged": s.flagged,
                "planted": s.planted,
            }
        )
        print(f"{label:<38} {s.line()}, {len(result.clusters)} clusters")
    return rows


def million(work: Path) -> dict[str, Any]:
    path = work / "synthetic_1m.csv"
    truth_path = work / "synthetic_1m_truth.json"
    if not path.exists() or not truth_path.exists():
        planted = generate(MILLION)
        write_csv(planted, path)
        truth_path.write_text(json.dumps(planted.campaign_of))
    truth = json.loads(truth_path.read_text())
    out: dict[str, Any] = {"posts_in_file": sum(1 for _ in path.open()) - 1}
    for label, signals in (
        ("all signals", ",".join(ALL_SIGNALS)),
        ("all signals except near_text", "text,url,domain,hashtags,image,repost,reply"),
        ("near_text", "near_text"),
    ):
        result, measured, out_dir = analyze_cli(path, work, "synthetic_1m", "--signals", signals)
        flagged = {a for pair in edges_csv_pairs(out_dir / "edges.csv") for a in pair}
        report = {k: v for k, v in measured.items() if k != "stdout"} | {
            "edges": result.edges,
            "clusters": len(result.clusters),
            "linked_planted_share": round(len(flagged & set(truth)) / len(truth), 3),
            "load_average_after": os.getloadavg(),
        }
        out[label] = report
        print(
            f"1M posts, {label}: chorus analyze, process start to exit {report['wall_s']:.1f} s "
            f"(CPU {report['cpu_s']:.1f} s), {report['edges']:,} edges, "
            f"{report['clusters']} clusters, peak {report['peak_rss_mb']:.0f} MB"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--skip-million", action="store_true")
    ap.add_argument("--skip-quality", action="store_true", help="only the million-post runs")
    args = ap.parse_args()
    work = RESULTS / "coordination-synthetic"
    work.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    if not args.skip_quality:
        record["quality"] = quality(work)
    if not args.skip_million:
        record["million"] = million(work)
    with (RESULTS / "coordination-synthetic.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
