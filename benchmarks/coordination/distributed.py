"""Both engines on the same synthetic posts: time and per-worker peak memory.

    python -m benchmarks.coordination.distributed [--posts 10000000] [--workers 2]
        [--signals text,url,repost,reply]

Generates the million-post scenario of benchmarks.coordination.synthetic scaled to
`--posts` (organic accounts, posts and days in proportion, so posts per minute stay the
same; the 120 viral items and the planted campaigns as they are: scaling the viral
bursts too puts 10M posts far past the pair limit of either engine), written once as
Parquet (`--input-only` stops there: generating 10M posts takes about 10 GB). Then, in
a fresh data dir each, the whole command a user runs:

- `chorus analyze FILE --signals ... --out DIR` (`--engine duckdb`): one process, whose
  peak memory is the only "worker" memory;
- the same with `--engine dask --scheduler ADDR --shared-dir DIR` against a cluster set up
  as on real machines: `dask scheduler` and `--workers` separate `dask worker --nthreads 1
  --no-nanny` processes, their peak memory (VmHWM) read from /proc before they stop.

Prints wall and CPU time of the command, the driver's peak memory and each worker's, that
both wrote the same edges.csv, and the load average before and after (the machine may be
shared). Appends the record to benchmarks/results/distributed.jsonl.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from benchmarks.coordination.agreement import REPO, chorus_command, chorus_env, run_measured
from benchmarks.coordination.synthetic import MILLION
from tests.support.synthetic import generate

RESULTS = REPO / "benchmarks" / "results"
# Without hashtags: the scenario's dozen trending hashtags put 3M posts past the pair limit.
SIGNALS = "text,url,repost,reply"
LIMITS = {
    "CHORUS_LIMITS__MAX_DATASET_ROWS": "50000000",
    "CHORUS_LIMITS__MAX_DATASET_BYTES": "20000000000",
}


def build_input(posts: int, work: Path) -> Path:
    path = work / f"synthetic_{posts}.parquet"
    if path.exists():
        return path
    f = posts / 1_000_000
    scenario = replace(
        MILLION,
        organic_accounts=int(MILLION.organic_accounts * f),
        organic_posts=int(MILLION.organic_posts * f),
        days=MILLION.days * f,
    )
    pq.write_table(generate(scenario).table, str(path))
    return path


def vm_hwm_mb(pid: int) -> float:
    """A live process's peak resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_cluster(work: Path, workers: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """`dask scheduler` and `workers` single-threaded `dask worker` processes on loopback."""
    dask = Path(sys.executable).with_name("dask")
    info = work / "scheduler.json"
    info.unlink(missing_ok=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [
                *(str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0"),
                *("--no-dashboard", "--scheduler-file", str(info)),
            ],
            **quiet,  # type: ignore[call-overload]
        )
    ]
    for _ in range(120):
        if info.exists() and info.stat().st_size:
            break
        time.sleep(0.5)
    address = str(json.loads(info.read_text())["address"])
    for _ in range(workers):
        procs.append(
            subprocess.Popen(
                [
                    *(str(dask), "worker", address, "--nthreads", "1", "--no-nanny"),
                    *("--memory-limit", "0", "--no-dashboard", "--host", "127.0.0.1"),
                ],
                **quiet,  # type: ignore[call-overload]
            )
        )
    from distributed import Client

    with Client(address, timeout=60) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def run_engine(
    path: Path, work: Path, label: str, flags: list[str], signals: str
) -> dict[str, Any]:
    data, out = work / f"data-{label}", work / f"out-{label}"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [*chorus_command(), "analyze", str(path), "--signals", signals, "--out", str(out)]
    load_before = os.getloadavg()
    measured = run_measured([*cmd, *flags], chorus_env(data, **LIMITS))
    measured.pop("stdout")
    edges = (out / "edges.csv").read_bytes()
    return measured | {
        "edges_csv_sha256": hashlib.sha256(edges).hexdigest(),
        "edges": edges.count(b"\n") - 1,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--signals", default=SIGNALS)
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--input-only", action="store_true", help="generate the input and stop")
    args = ap.parse_args()
    work = RESULTS / "distributed"
    work.mkdir(parents=True, exist_ok=True)
    path = build_input(args.posts, work)
    if args.input_only:
        return
    rows = pq.ParquetFile(str(path)).metadata.num_rows
    record: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": rows,
        "signals": args.signals,
        "cpus": os.cpu_count(),
    }
    if not args.skip_duckdb:
        record["duckdb"] = run_engine(path, work, "duckdb", [], args.signals)
        d = record["duckdb"]
        print(
            f"{rows:,} posts, --engine duckdb: {d['wall_s']:.1f} s (CPU {d['cpu_s']:.1f} s), "
            f"peak {d['peak_rss_mb']:.0f} MB (one process), {d['edges']:,} edges, "
            f"load {d['load_average_before'][0]:.1f} -> {d['load_average_after'][0]:.1f}"
        )
    address, procs = start_cluster(work, args.workers)
    try:
        shared = work / "shared"
        flags = ["--engine", "dask", "--scheduler", address, "--shared-dir", str(shared)]
        record["dask"] = run_engine(path, work, "dask", flags, args.signals)
        record["dask"]["worker_peak_mb"] = [round(vm_hwm_mb(p.pid), 1) for p in procs[1:]]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a worker still waiting on the scheduler
                p.kill()
                p.wait()
    d = record["dask"]
    print(
        f"{rows:,} posts, --engine dask ({args.workers} workers): {d['wall_s']:.1f} s "
        f"(driver CPU {d['cpu_s']:.1f} s), driver peak {d['peak_rss_mb']:.0f} MB, workers' "
        f"peaks {', '.join(f'{m:.0f}' for m in d['worker_peak_mb'])} MB, {d['edges']:,} "
        f"edges, load {d['load_average_before'][0]:.1f} -> {d['load_average_after'][0]:.1f}"
    )
    if "duckdb" in record:
        same = record["duckdb"]["edges_csv_sha256"] == d["edges_csv_sha256"]
        record["same_edges_csv"] = same
        print(f"same edges.csv from both engines: {same}")
    with (RESULTS / "distributed.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
