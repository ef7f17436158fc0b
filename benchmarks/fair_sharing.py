"""Fair sharing between servers: three servers each run two slow URL ingests and one dataset
analysis while a fourth asks 50 questions, all through the bot's own `ChorusBot.call` /
`call_heavy` (what the cogs call; no Discord gateway in between), with the settings a user
runs (`CHORUS_LIMITS__*`; the per-server cap is raised to 3 so that each server's third job
runs instead of being refused, which is the cap working, not what is measured here).

The asks run first alone (idle), then under the load; the figure is ask p95 under load
over idle, with the target <= 3x, and errors (any exception, timeouts included) must be 0.
A slow ingest is a page from a loopback server that trickles its body over `--slow-s`.

    python -m benchmarks.fair_sharing [--asks 50] [--slow-s 6] [--posts 20000] [--one-pool]

`--one-pool` sends the heavy work through the quick pool as well, which is how the bot
worked before the pools were split (one shared pool): it shows the failure being fixed.

`--real-bot` measures the same load through the real `chorus bot` process and a local
Discord instead (benchmarks/fair_sharing_bot.py): the figure a user's server would see.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.load import QUESTIONS, _pct
from bot.assistant import Assistant, Requester
from bot.discord_app import create_bot
from bot.settings import load_settings
from tests.support.synthetic import Scenario, generate, write_csv

PAGE_LINES = 40


def question(i: int, phase: str) -> str:
    """The i-th question of a phase, worded differently from every other one: the bot keeps
    question embeddings, so repeating the idle phase's questions would time cache hits."""
    return f"{QUESTIONS[i % len(QUESTIONS)]} ({phase} question {i + 1})"


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    slow_s = 6.0

    def do_GET(self) -> None:
        lines = [
            f"Server report {self.path}, line {i}: the accounts posted the same link within "
            f"{5 + i} seconds of each other, many created in the last {1 + i % 9} weeks.\n"
            for i in range(PAGE_LINES)
        ]
        body = [line.encode() for line in lines]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(sum(len(b) for b in body)))
        self.end_headers()
        for piece in body:
            self.wfile.write(piece)
            self.wfile.flush()
            time.sleep(self.slow_s / len(body))

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _slow_server(slow_s: float) -> Iterator[int]:
    _Slow.slow_s = slow_s
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


async def _timed(
    kind: str, work: Callable[[], Awaitable[Any]], out: list[tuple[str, float, str]]
) -> None:
    start = time.perf_counter()
    error = ""
    try:
        await work()
    except Exception as exc:  # every failure counts, whatever its type
        error = f"{type(exc).__name__}: {exc}"
    out.append((kind, time.perf_counter() - start, error))


def _row(results: list[tuple[str, float, str]], kind: str) -> dict[str, Any]:
    times = [t for k, t, e in results if k == kind and not e]
    return {
        "n": sum(1 for k, _, _ in results if k == kind),
        "errors": [e for k, _, e in results if k == kind and e],
        "p50_s": round(statistics.median(times), 3) if times else None,
        "p95_s": round(_pct(times, 0.95), 3) if times else None,
        "max_s": round(max(times), 3) if times else None,
    }


async def run(
    args: argparse.Namespace, data_dir: Path, dataset: bytes, port: int
) -> dict[str, Any]:
    os.environ["CHORUS_LIMITS__MAX_JOBS_PER_SCOPE"] = "3"
    settings = load_settings(env_file=None, data_dir=data_dir, allow_private_urls=True)
    assistant = Assistant(settings)
    bot = create_bot(assistant=assistant, extensions=())
    asker = Requester(scope="guild-4", user="asker")
    await bot.call(assistant.ask, "warm up", asker)  # model, index and demo ready

    async def asks(out: list[tuple[str, float, str]], phase: str) -> None:
        for i in range(args.asks):  # one every --ask-every s, spread over the heavy work
            began = time.perf_counter()
            asked = question(i, phase)
            await _timed("ask", partial(bot.call, assistant.ask, asked, asker), out)
            await asyncio.sleep(max(0.0, args.ask_every - (time.perf_counter() - began)))

    idle: list[tuple[str, float, str]] = []
    await asks(idle, "idle")

    loaded: list[tuple[str, float, str]] = []

    # --one-pool: heavy work through the quick pool too, as before the pools were split
    def run_heavy(scope: str, fn: Callable[..., Any], *a: Any) -> Awaitable[Any]:
        return bot.call(fn, *a) if args.one_pool else bot.call_heavy(scope, fn, *a)

    heavy = []
    for g in range(1, 4):
        mod = Requester(scope=f"guild-{g}", user=f"mod-{g}", can_moderate=True)
        for k in range(2):
            url = f"http://127.0.0.1:{port}/g{g}-report-{k}.txt"
            heavy.append(
                _timed(
                    "ingest", partial(run_heavy, mod.scope, assistant.ingest_url, url, mod), loaded
                )
            )
        heavy.append(
            _timed(
                "analysis",
                partial(run_heavy, mod.scope, assistant.analyze_upload, dataset, "posts.csv", mod),
                loaded,
            )
        )
    started = time.perf_counter()
    background = asyncio.gather(*heavy)
    await asyncio.sleep(0.5)  # the heavy jobs are under way before the first question
    await asks(loaded, "loaded")
    ask_wall = time.perf_counter() - started
    await background
    wall = time.perf_counter() - started
    bot.pools.shutdown()
    idle_row, load_row = _row(idle, "ask"), _row(loaded, "ask")
    ratio = (
        round(load_row["p95_s"] / idle_row["p95_s"], 2)
        if load_row["p95_s"] and idle_row["p95_s"]
        else None
    )
    return {
        "settings": {
            "max_heavy_jobs": settings.limits.max_heavy_jobs,
            "quick_workers": settings.limits.quick_workers,
            "max_jobs_per_scope": settings.limits.max_jobs_per_scope,
            "request_timeout_s": settings.limits.request_timeout_s,
            "slow_s": args.slow_s,
            "posts": args.posts,
            "ask_every_s": args.ask_every,
            "one_pool": args.one_pool,
        },
        "ask_idle": idle_row,
        "ask_under_load": load_row,
        "p95_ratio": ratio,
        "ingest": _row(loaded, "ingest"),
        "analysis": _row(loaded, "analysis"),
        "asks_done_after_s": round(ask_wall, 2),
        "all_done_after_s": round(wall, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=50)
    parser.add_argument("--slow-s", type=float, default=6.0, help="seconds each page trickles")
    parser.add_argument("--posts", type=int, default=20_000, help="posts in each analysis")
    parser.add_argument("--ask-every", type=float, default=0.4, help="seconds between asks")
    parser.add_argument(
        "--one-pool", action="store_true", help="heavy work on the quick pool (the old way)"
    )
    parser.add_argument(
        "--real-bot",
        action="store_true",
        help="through the `chorus bot` process and a local Discord",
    )
    parser.add_argument("--wait-s", type=float, default=300, help="--real-bot: longest wait")
    args = parser.parse_args()
    if args.real_bot and args.one_pool:
        parser.error("--one-pool applies to the in-process run only")
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    planted = generate(
        Scenario(organic_posts=args.posts, organic_accounts=max(200, args.posts // 15))
    )
    with tempfile.TemporaryDirectory() as tmp, _slow_server(args.slow_s) as port:
        csv_path = write_csv(planted, Path(tmp) / "posts.csv")
        if args.real_bot:
            from benchmarks.fair_sharing_bot import run_real_bot  # the test fakes, only here

            summary = run_real_bot(args, Path(tmp), csv_path.read_bytes(), port)
        else:
            summary = asyncio.run(run(args, Path(tmp) / "data", csv_path.read_bytes(), port))
    print(json.dumps(summary, indent=2))
    errors = sum(
        len(summary[k]["errors"]) for k in ("ask_idle", "ask_under_load", "ingest", "analysis")
    )
    ok = errors == 0 and summary["p95_ratio"] is not None and summary["p95_ratio"] <= 3
    print(
        f"ask p95 {summary['ask_idle']['p95_s']} s idle, {summary['ask_under_load']['p95_s']} s "
        f"under load ({summary['p95_ratio']}x, target <= 3x); {errors} errors",
        file=sys.stderr,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
