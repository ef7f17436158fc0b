"""How fast coordination questions are answered from a stored analysis of a million posts.

    python -m benchmarks.coordination.answer_speed [--work DIR] [--repeat 5]

1. Writes the million-post synthetic scenario (benchmarks/coordination/synthetic.py's
   MILLION: 40,000 organic accounts, three planted campaigns) as CSV, once.
2. `chorus analyze FILE --name million` as a user runs it (a subprocess, start to exit).
3. In one process holding an Assistant, as `chorus bot` and `chorus console` do: one
   question to warm up, then every question below `--repeat` times, each timed around
   `Assistant.ask` (warm); the median and the slowest are reported per question.
4. `chorus ask` for two of them as fresh processes (cold: start to exit).

Prints the machine's load average beside the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.coordination.agreement import REPO
from benchmarks.coordination.synthetic import MILLION
from tests.support.synthetic import generate, write_csv

QUESTIONS = (
    "Who is camp0_003 coordinating with?",
    "Is u000017 in a cluster?",
    "Is u17 in a cluster?",
    "Which accounts shared the link https://campaign1.example/msg/4?",
    "Which accounts used the hashtag #{tag} together?",
    "What is the biggest cluster?",
    "Which cluster has the newest accounts?",
    "Which cluster shared the most images?",
    "How many clusters are there?",
    "What did cluster {cluster} share and when?",
    "Who are the members of cluster {cluster}?",
)


def _chorus(*args: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", *args], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "results" / "answers")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    env = {**os.environ, "CHORUS_DATA_DIR": str(data), "CHORUS_SHARED_DEMO": "false"}
    csv_path = work / "million.csv"
    if not csv_path.exists():
        write_csv(generate(MILLION), csv_path)
    print(f"load before: {os.getloadavg()}")
    if not any((data / "datasets").glob("*/*.duckdb")):
        took = _chorus("analyze", str(csv_path), "--name", "million", env=env)
        print(f"chorus analyze (1 run, start to exit): {took:.1f} s")

    os.environ.update({"CHORUS_DATA_DIR": str(data), "CHORUS_SHARED_DEMO": "false"})
    from bot.assistant import Assistant, Requester
    from bot.settings import load_settings

    assistant = Assistant(load_settings())
    req = Requester.local()
    top = assistant.clusters(req, limit=1).clusters[0]
    questions = [
        q.format(cluster=top.id, tag=_campaign_tag(assistant, top.id, req)) for q in QUESTIONS
    ]
    assistant.ask(questions[0], req)  # warm: files opened once, code loaded
    print(f"load during: {os.getloadavg()}")
    worst = 0.0
    for question in questions:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            answer = assistant.ask(question, req)
            times.append(time.perf_counter() - start)
        kinds = {c.kind for c in answer.citations}
        worst = max(worst, *times)
        print(
            f"{statistics.median(times) * 1000:7.0f} ms median, {max(times) * 1000:5.0f} ms max"
            f"  [{','.join(sorted(kinds)) or '-'}]  {question}"
        )
    print(f"slowest warm answer: {worst * 1000:.0f} ms")
    assistant.close()  # an open dataset file is locked against the processes below
    for question in questions[:2]:
        took = _chorus("ask", question, env=env)
        print(f"chorus ask (cold, start to exit): {took:.2f} s  {question}")
    print(f"load after: {os.getloadavg()}")
    return 0


def _campaign_tag(assistant: object, cluster_id: str, req: object) -> str:
    """The first hashtag of the top cluster's most shared hashtag set."""
    detail = assistant.cluster(cluster_id, req)  # type: ignore[attr-defined]
    tops = detail.top_items.get("hashtags", ())
    return tops[0].value.split()[0].lstrip("#") if tops else "none"


if __name__ == "__main__":
    raise SystemExit(main())
