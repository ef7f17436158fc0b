"""Image benchmark: `python -m benchmarks.images.run [--split tune|held-out|both]`.

Builds a dataset folder (posts.csv + media/) per split: squads of accounts each post
variants (benchmarks/images/generate.py: JPEG quality 60-95, resized 50-150 %, cropped up
to 10 % of each side's length, half with a small caption) of the same base pictures within
two minutes, among thousands of distinct organic pictures posted once each by other
accounts. Every post's text is its own, and it has no links or hashtags: the squads share
images only.

Then, each measured on what a user runs:

1. `chorus analyze posts.csv --signals image --json` in a fresh process and data dir:
   wall time from start to exit, so images/s counts decoding, hashing, matching, the
   analysis and saving; the planted squads against the clusters found (worst Jaccard).
2. Image-pair precision and recall at several distances, from the hashes that command
   stored (post_images / image_windows) and the same grouping code it ran: a pair is two
   posts whose images fall in one near-identical group; truth is "same base picture".
   The default distance is chosen on the tune split; the held-out split is only reported.
3. `--million`: `chorus analyze` on 1,000,000 posts that carry precomputed 64-bit hashes
   (image_phashes: random pictures plus families of near copies), whole command timed,
   and the grouping step alone on the same hashes.

Appends one JSON line per run to benchmarks/results/images.jsonl and prints a summary.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from benchmarks.images.generate import draw_base, jpeg, make_variant
from patterns.nearimage import group_images

SPLITS = {"tune": 1, "held-out": 2}
T0 = 1_700_000_000.0


def build(
    root: Path, *, seed: int, squads: int, squad_size: int, bases: int, organic: int
) -> dict[str, Any]:
    """Write posts.csv and media/ under root; return the planted truth."""
    rng = random.Random(seed)
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    truth: dict[str, int] = {}  # post id -> base picture (-1: organic)
    squad_members: list[list[str]] = []
    t = T0
    for s in range(squads):
        members = [f"squad{s}_{k}" for k in range(squad_size)]
        squad_members.append(members)
        for b in range(bases):
            base_id = seed * 10_000 + s * 100 + b
            base = draw_base(base_id)
            t += rng.uniform(600, 3600)
            for acc in members:
                pid = f"p{len(rows)}"
                name = f"media/{pid}.jpg"
                (root / name).write_bytes(make_variant(base, rng.randrange(1 << 30)))
                rows.append(
                    {
                        "post_id": pid,
                        "account_id": acc,
                        "created_at": t + rng.uniform(0, 50),
                        "text": f"post {pid} {rng.random():.6f}",
                        "image_files": name,
                    }
                )
                truth[pid] = base_id
    span = t - T0 + 3600
    for o in range(organic):
        pid = f"p{len(rows)}"
        name = f"media/{pid}.jpg"
        pic = draw_base(seed * 10_000_000 + 1_000_000 + o)
        (root / name).write_bytes(jpeg(pic, rng.randint(60, 95)))
        rows.append(
            {
                "post_id": pid,
                "account_id": f"org{rng.randrange(organic // 2)}",
                "created_at": T0 + rng.uniform(0, span),
                "text": f"organic {pid} {rng.random():.6f}",
                "image_files": name,
            }
        )
        truth[pid] = -1 - o
    rows.sort(key=lambda r: r["created_at"])
    with (root / "posts.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return {"truth": truth, "squads": squad_members, "images": len(rows)}


def chorus(args: list[str], data_dir: Path, cwd: Path) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout) of one `chorus` command in a fresh process."""
    env = dict(os.environ, CHORUS_DATA_DIR=str(data_dir))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"chorus {' '.join(args)} failed: {done.stderr[-2000:]}")
    return wall, cpu, done.stdout


def stored_hashes(data_dir: Path) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """post id -> image index, and (full, owner, window) arrays as the analysis reads them."""
    (db,) = list((data_dir / "datasets").glob("*/*.duckdb"))
    con = duckdb.connect(str(db), read_only=True)
    try:
        full = np.asarray(
            con.execute("SELECT DISTINCT phash FROM post_images ORDER BY phash").fetchnumpy()[
                "phash"
            ],
            dtype=np.uint64,
        )
        rel = con.execute(
            "SELECT phash, win FROM image_windows UNION "
            "SELECT DISTINCT phash, phash FROM post_images"
        ).fetchnumpy()
        posts = con.execute(
            "SELECT p.post_id, i.phash FROM post_images i JOIN posts p USING (pid)"
        ).fetchall()
    finally:
        con.close()
    owner = np.searchsorted(full, np.asarray(rel["phash"], dtype=np.uint64)).astype(np.int64)
    index = {str(pid): int(np.searchsorted(full, np.uint64(h))) for pid, h in posts}
    return index, full, owner, np.asarray(rel["win"], dtype=np.uint64)


def pair_scores(
    truth: dict[str, int],
    *,
    index: dict[str, int],
    full: np.ndarray,
    owner: np.ndarray,
    window: np.ndarray,
    distances: list[int],
) -> list[dict[str, Any]]:
    by_base: dict[int, list[str]] = {}
    for pid, base in truth.items():
        by_base.setdefault(base, []).append(pid)
    true_pairs = {
        tuple(sorted(p))
        for posts in by_base.values()
        if len(posts) > 1
        for p in combinations(posts, 2)
    }
    out = []
    for d in distances:
        start = time.perf_counter()
        grp, _ = group_images(full, owner, window, d)
        secs = time.perf_counter() - start
        members: dict[int, list[str]] = {}
        for pid, img in index.items():
            g = int(grp[img])
            members.setdefault(g if g >= 0 else -2 - img, []).append(pid)
        found = {
            tuple(sorted(p))
            for posts in members.values()
            if len(posts) > 1
            for p in combinations(posts, 2)
        }
        tp = len(found & true_pairs)
        out.append(
            {
                "distance": d,
                "precision": tp / len(found) if found else 1.0,
                "recall": tp / len(true_pairs) if true_pairs else 1.0,
                "pairs_found": len(found),
                "true_pairs": len(true_pairs),
                "group_s": round(secs, 3),
            }
        )
    return out


def campaign_recovery(squads: list[list[str]], clusters: list[dict[str, Any]]) -> dict[str, Any]:
    found = [set(c["accounts"]) for c in clusters]
    scores = []
    for members in squads:
        s = set(members)
        best = max((len(s & f) / len(s | f) for f in found), default=0.0)
        scores.append(best)
    return {
        "squads": len(squads),
        "clusters": len(clusters),
        "worst_jaccard": min(scores) if scores else 0.0,
        "mean_jaccard": sum(scores) / len(scores) if scores else 0.0,
    }


def run_split(name: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    root = work / name
    plan = build(
        root,
        seed=SPLITS[name],
        squads=args.squads,
        squad_size=args.squad_size,
        bases=args.bases,
        organic=args.organic,
    )
    data = work / f"data-{name}"
    load = os.getloadavg()
    wall, cpu, out = chorus(
        [
            "analyze",
            "posts.csv",
            "--signals",
            "image",
            "--json",
            "--image-distance",
            str(args.distance),
        ],
        data,
        root,
    )
    result = json.loads(out)
    index, full, owner, window = stored_hashes(data)
    return {
        "split": name,
        "images": plan["images"],
        "analyze_wall_s": round(wall, 2),
        "images_per_s_whole_command": round(plan["images"] / wall, 1),
        "analyze_cpu_s": round(cpu, 2),
        # What two idle cores give when the work spreads over both (the machine is shared).
        "images_per_s_two_idle_cores": round(2 * plan["images"] / cpu, 1),
        "load_avg_before": [round(x, 2) for x in load],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "recovery": campaign_recovery(plan["squads"], result["clusters"]),
        "pairs": pair_scores(
            plan["truth"],
            index=index,
            full=full,
            owner=owner,
            window=window,
            distances=[2, 4, 6, 8, 10],
        ),
    }


def run_million(work: Path, n: int) -> dict[str, Any]:
    """1,000,000 posts with precomputed hashes: 90 % random pictures, 10 % in families of
    near copies (each copy a few bits from its family's original)."""
    rng = np.random.default_rng(7)
    n_fam = n // 100
    originals = rng.integers(0, 2**63, size=n_fam, dtype=np.uint64) * np.uint64(2)
    fam = rng.integers(0, n_fam, size=n // 10)
    flips = np.zeros(fam.size, dtype=np.uint64)
    for _ in range(3):
        flips ^= np.uint64(1) << rng.integers(0, 64, size=fam.size).astype(np.uint64)
    hashes = np.concatenate(
        [
            rng.integers(0, 2**63, size=n - fam.size, dtype=np.uint64) * np.uint64(2),
            originals[fam] ^ flips,
        ]
    )
    root = work / "million"
    root.mkdir(parents=True, exist_ok=True)
    path = root / "hashes.csv"
    with path.open("w") as f:
        f.write("post_id,account_id,created_at,image_phashes\n")
        for k, h in enumerate(hashes.tolist()):
            f.write(f"m{k},a{k % 200_000},{T0 + (k * 7) % 86_400},{h:016x}\n")
    load = os.getloadavg()
    wall, cpu, _ = chorus(
        ["analyze", "hashes.csv", "--signals", "image", "--json"], work / "data-m", root
    )
    distinct = np.unique(hashes)
    start = time.perf_counter()
    group_images(distinct, np.arange(distinct.size, dtype=np.int64), distinct, 4)
    group_s = time.perf_counter() - start
    return {
        "posts": n,
        "analyze_wall_s": round(wall, 2),
        "analyze_cpu_s": round(cpu, 2),
        "grouping_only_s": round(group_s, 2),
        "load_avg_before": [round(x, 2) for x in load],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=["tune", "held-out", "both", "none"], default="both")
    ap.add_argument("--squads", type=int, default=12)
    ap.add_argument("--squad-size", type=int, default=8)
    ap.add_argument("--bases", type=int, default=4)
    ap.add_argument("--organic", type=int, default=3000)
    ap.add_argument("--distance", type=int, default=4)
    ap.add_argument("--million", action="store_true", help="also the 1,000,000-hash run")
    ap.add_argument("--work", type=Path, help="keep the generated data here")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="chorus-images-"))
    splits = {"both": ["tune", "held-out"], "none": []}.get(args.split, [args.split])
    record: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name in splits:
        record[name] = run_split(name, args, work)
        print(json.dumps(record[name], indent=1))
    if args.million:
        record["million"] = run_million(work, 1_000_000)
        print(json.dumps(record["million"], indent=1))
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    with (out / "images.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
