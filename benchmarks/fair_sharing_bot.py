"""Fair sharing measured through the real `chorus bot` process: the bot runs as a subprocess
against the local Discord of the tests (tests/discord/local_discord.py, loopback only), and
every figure is what that Discord saw, from the interaction it dispatched to the message the
bot sent back.

Three servers each run two slow `/sources add url:` and one `/dataset add` (an attachment the
fake's CDN serves) while a fourth asks `--asks` questions with `/ask`, one every
`--ask-every` s. The asks run first alone (idle), then under that load. An ask's latency is
from the INTERACTION_CREATE to the first message with its answer (embeds); an error is any
private plain-text reply (how the bot shows errors, timeouts included) or no answer within
`--wait-s`. A slow ingest is a page that trickles its body over `--slow-s` (loopback).

    python -m benchmarks.fair_sharing --real-bot [--asks 50] [--slow-s 6] [--posts 20000]

Settings as a user sets them: per-user and per-server cooldowns off (`CHORUS_DISCORD__*`: 50
asks from one person would otherwise be refused, which is the rate limiter working) and the
per-server job cap at 3 (so each server's third job runs), private URLs allowed (the slow
page is on loopback). The heavy pool and quick pool are the bot's defaults.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.fair_sharing import question
from benchmarks.load import _pct
from tests.discord.bot_process import BotProcess, bot_env
from tests.discord.local_discord import LocalDiscord, Received

ASKER_GUILD = 960000000000000004
HEAVY_GUILDS = (960000000000000001, 960000000000000002, 960000000000000003)
MANAGE_GUILD = 1 << 5
DONE_MARKERS = ("Source added.", "Already a source.", "Analysed ")


def _outcome(sent: list[Received], markers: tuple[str, ...] | None) -> Received | None:
    """The reply that ends an interaction: an error (private plain text), or the answer (for
    an ask, the first message with embeds; for heavy work, the one with a done marker)."""
    for r in sent:
        message = r.message
        if r.status != 200 or message is None:
            continue
        if r.ephemeral and not message.get("embeds"):
            return r
        if markers is None and message.get("embeds"):
            return r
        if markers is not None and any(m in r.text() for m in markers):
            return r
    return None


def _finish(
    fake: LocalDiscord, payload: dict[str, Any], began: float, wait_s: float, markers: Any
) -> tuple[float, str]:
    """(seconds until the ending reply, "" or the error it reports)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        found = _outcome(fake.replies_to(payload), markers)
        if found is not None:
            failed = found.ephemeral and not (found.message or {}).get("embeds")
            return found.at - began, found.text() if failed else ""
        time.sleep(0.005)
    return time.monotonic() - began, f"no reply within {wait_s:g} s"


def _ask(fake: LocalDiscord, question: str, user: int, wait_s: float) -> tuple[float, str]:
    option = {"type": 3, "name": "question", "value": question}
    began = time.monotonic()
    payload = fake.slash("ask", [option], guild=ASKER_GUILD, user_id=user)
    return _finish(fake, payload, began, wait_s, None)


def _asks(fake: LocalDiscord, args: argparse.Namespace, phase: str) -> list[tuple[float, str]]:
    out = []
    for i in range(args.asks):
        began = time.monotonic()
        out.append(_ask(fake, question(i, phase), 7000 + i, args.wait_s))
        time.sleep(max(0.0, args.ask_every - (time.monotonic() - began)))
    return out


def _row(results: list[tuple[float, str]]) -> dict[str, Any]:
    times = [t for t, e in results if not e]
    return {
        "n": len(results),
        "errors": [e for _, e in results if e],
        "p50_s": round(statistics.median(times), 3) if times else None,
        "p95_s": round(_pct(times, 0.95), 3) if times else None,
        "max_s": round(max(times), 3) if times else None,
    }


def run_real_bot(args: argparse.Namespace, tmp: Path, dataset: bytes, port: int) -> dict[str, Any]:
    fake = LocalDiscord()
    for guild in (*HEAVY_GUILDS, ASKER_GUILD):
        fake.add_guild(guild)
    fake.start()
    env = bot_env(
        fake,
        tmp / "data",
        CHORUS_DISCORD__USER_COOLDOWN_S="0",
        CHORUS_DISCORD__GUILD_COOLDOWN_S="0",
        CHORUS_LIMITS__MAX_JOBS_PER_SCOPE="3",
        CHORUS_ALLOW_PRIVATE_URLS="true",
    )
    started = time.monotonic()
    bot = BotProcess(env, tmp)
    try:
        bot.wait_connected(fake, timeout=300)
        connected_s = time.monotonic() - started
        _ask(fake, "warm up", 6999, args.wait_s)  # model, index and demo ready
        idle = _asks(fake, args, "idle")
        heavy: list[tuple[str, dict[str, Any], float]] = []
        for n, guild in enumerate(HEAVY_GUILDS, start=1):
            for k in range(2):
                url = f"http://127.0.0.1:{port}/g{n}-report-{k}.txt"
                began = time.monotonic()
                payload = fake.slash(
                    "sources add",
                    [{"type": 3, "name": "url", "value": url}],
                    guild=guild,
                    user_id=8000 + n,
                    perms=MANAGE_GUILD,
                )
                heavy.append(("ingest", payload, began))
            attachment = fake.attachment("posts.csv", dataset)
            began = time.monotonic()
            payload = fake.slash(
                "dataset add",
                [{"type": 11, "name": "file", "value": attachment["id"]}],
                guild=guild,
                resolved={"attachments": {attachment["id"]: attachment}},
                user_id=8000 + n,
                perms=MANAGE_GUILD,
            )
            heavy.append(("analysis", payload, began))
        load_began = time.monotonic()
        time.sleep(0.5)  # the heavy jobs are under way before the first question
        loaded = _asks(fake, args, "loaded")
        asks_done = time.monotonic() - load_began
        jobs: dict[str, list[tuple[float, str]]] = {"ingest": [], "analysis": []}
        for kind, payload, began in heavy:
            jobs[kind].append(_finish(fake, payload, began, args.wait_s, DONE_MARKERS))
        all_done = time.monotonic() - load_began
    finally:
        bot.stop()
        fake.stop()
    log = bot.log()
    idle_row, load_row = _row(idle), _row(loaded)
    ratio = (
        round(load_row["p95_s"] / idle_row["p95_s"], 2)
        if load_row["p95_s"] and idle_row["p95_s"]
        else None
    )
    return {
        "measured": "real `chorus bot` subprocess, latency as the local Discord saw it",
        "settings": {
            "slow_s": args.slow_s,
            "posts": args.posts,
            "ask_every_s": args.ask_every,
            "max_jobs_per_scope": 3,
            "cooldowns": "off",
        },
        "bot_connected_after_s": round(connected_s, 2),
        "ask_idle": idle_row,
        "ask_under_load": load_row,
        "p95_ratio": ratio,
        "ingest": _row(jobs["ingest"]),
        "analysis": _row(jobs["analysis"]),
        "asks_done_after_s": round(asks_done, 2),
        "all_done_after_s": round(all_done, 2),
        "tracebacks_in_bot_log": log.count("Traceback"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
