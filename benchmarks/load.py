"""Load benchmark (issue 5.3): 50 concurrent asks, 10 concurrent checks and 2 concurrent
ingests against one Assistant, as the Discord bot drives it (asyncio + worker threads).

Reports p50 / p95 latency per operation and every error, then runs `doctor` to show the
catalog and vector index are consistent afterwards.

    python -m benchmarks.load [--asks 50] [--checks 10] [--ingests 2] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bot.assistant import Assistant, Requester
from bot.settings import load_settings

QUESTIONS = [
    "How many accounts did Twitter suspend?",
    "Did Bloomberg release all of the women from their NDAs?",
    "How much were deputy field organizers paid?",
    "Why were the accounts suspended?",
    "When did Bloomberg enter the race?",
    "Who pressured Bloomberg about the NDAs?",
    "What did the organizers post?",
    "How old were many of the accounts?",
    "What is the boiling point of mercury?",
    "Which platform took enforcement action?",
]
CLAIMS = [
    "Twitter suspended 70 accounts",
    "Bloomberg released three women from NDAs",
    "Organizers were paid $5,000 a month",
    "The accounts were created years ago",
    "Bloomberg entered the race on Nov. 24",
]


def _write_reports(folder: Path, n: int, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        lines = [
            f"Report {seed}-{i}, section {j}: moderators traced {10 + (i * j) % 90} accounts that "
            f"posted the same link within {5 + j % 40} seconds, many created in the last "
            f"{1 + (i + j) % 11} weeks."
            for j in range(40)
        ]
        (folder / f"report-{seed}-{i:03}.txt").write_text("\n\n".join(lines))


async def _timed(kind: str, fn: Callable[[], Any], out: list[tuple[str, float, str]]) -> None:
    start = time.perf_counter()
    error = ""
    try:
        await asyncio.to_thread(fn)
    except Exception as exc:  # the benchmark counts every failure, whatever its type
        error = f"{type(exc).__name__}: {exc}"
    out.append((kind, time.perf_counter() - start, error))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    settings = load_settings(env_file=None, data_dir=data_dir)
    assistant = Assistant(settings)
    req = Requester.local("load-benchmark")
    await asyncio.to_thread(assistant.ask, "warm up", req)  # model, index and demo ready

    folders = []
    for k in range(args.ingests):
        folder = data_dir.parent / f"ingest-{k}"
        _write_reports(folder, args.files, k)
        folders.append(folder)

    results: list[tuple[str, float, str]] = []
    jobs: list[tuple[str, Callable[[], Any]]] = []
    for i in range(args.asks):
        question = QUESTIONS[i % len(QUESTIONS)]
        jobs.append(("ask", partial(assistant.ask, question, req)))
    for i in range(args.checks):
        claim = CLAIMS[i % len(CLAIMS)]
        jobs.append(("check", partial(assistant.check, claim, req)))
    for folder in folders:
        jobs.append(("ingest", partial(_ingest, assistant, folder, req)))
    tasks = [_timed(kind, fn, results) for kind, fn in jobs]
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - started

    doctor = await asyncio.to_thread(assistant.doctor, repair=False)
    summary: dict[str, Any] = {"wall_s": round(wall, 2), "doctor": doctor.to_json(), "ops": {}}
    for kind in ("ask", "check", "ingest"):
        times = [t for k, t, e in results if k == kind and not e]
        errors = [e for k, _, e in results if k == kind and e]
        summary["ops"][kind] = {
            "n": sum(1 for k, _, _ in results if k == kind),
            "errors": errors,
            "p50_s": round(statistics.median(times), 3) if times else None,
            "p95_s": round(_pct(times, 0.95), 3) if times else None,
        }
    return summary


def _ingest(assistant: Assistant, folder: Path, req: Requester) -> None:
    report = assistant.ingest([str(folder)], req)
    if report.failed:
        raise RuntimeError(f"{len(report.failed)} file(s) failed: {report.failed[0].error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=50)
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--ingests", type=int, default=2)
    parser.add_argument("--files", type=int, default=10, help="files per ingest")
    parser.add_argument("--data-dir", type=Path, help="default: a fresh temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        summary = asyncio.run(run(args, data_dir))
    print(json.dumps(summary, indent=2))
    print(
        "\n| operation | n | p50 (s) | p95 (s) | errors |\n|---|---|---|---|---|", file=sys.stderr
    )
    for kind, row in summary["ops"].items():
        print(
            f"| {kind} | {row['n']} | {row['p50_s']} | {row['p95_s']} | {len(row['errors'])} |",
            file=sys.stderr,
        )
    consistent = summary["doctor"]["consistent"]
    print(
        f"doctor after the run: {'consistent' if consistent else 'NOT consistent'}", file=sys.stderr
    )
    failures = sum(len(r["errors"]) for r in summary["ops"].values())
    return 0 if consistent and not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
