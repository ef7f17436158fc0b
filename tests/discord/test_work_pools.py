"""Fair sharing: heavy work in its own bounded pool, a global and a per-server cap, and
timed-out work keeping its slot until its thread really ends."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from bot.discord_app import ChorusBot, RequestTimedOut
from bot.settings import Limits, Settings
from bot.work_pools import WorkPools
from common.errors import LimitError


def _blocker(release: threading.Event, started: list[str], name: str) -> str:
    started.append(name)
    release.wait(10)
    return name


async def test_quick_work_never_waits_behind_heavy_work() -> None:
    pools = WorkPools(quick_workers=2, heavy_workers=2, heavy_per_scope=2)
    release = threading.Event()
    started: list[str] = []
    try:
        heavy = [
            asyncio.ensure_future(pools.heavy(f"s{i % 3}", _blocker, release, started, f"h{i}"))
            for i in range(6)
        ]
        await asyncio.sleep(0.2)
        assert len(started) == 2, "only the global cap of heavy jobs runs at once"
        began = time.monotonic()
        assert await asyncio.wait_for(pools.quick(lambda: "answer"), 2) == "answer"
        assert time.monotonic() - began < 1
        release.set()
        assert sorted(await asyncio.gather(*heavy)) == [f"h{i}" for i in range(6)]
    finally:
        release.set()
        pools.shutdown()


async def test_per_server_cap_refuses_at_once_with_the_setting_named() -> None:
    pools = WorkPools(quick_workers=1, heavy_workers=4, heavy_per_scope=2)
    release = threading.Event()
    started: list[str] = []
    try:
        jobs = [asyncio.ensure_future(pools.heavy("g1", _blocker, release, started, "a"))]
        jobs.append(asyncio.ensure_future(pools.heavy("g1", _blocker, release, started, "b")))
        await asyncio.sleep(0.1)
        with pytest.raises(LimitError, match=r"MAX_JOBS_PER_SCOPE"):
            await pools.heavy("g1", _blocker, release, started, "c")
        other = asyncio.ensure_future(pools.heavy("g2", _blocker, release, started, "d"))
        await asyncio.sleep(0.1)
        assert sorted(started) == ["a", "b", "d"]
        release.set()
        await asyncio.gather(*jobs, other)
        assert pools.heavy_running() == 0 and pools.heavy_running("g1") == 0
    finally:
        release.set()
        pools.shutdown()


async def test_timed_out_work_keeps_its_slot_until_it_ends_and_queued_work_is_dropped() -> None:
    pools = WorkPools(quick_workers=1, heavy_workers=1, heavy_per_scope=5)
    release = threading.Event()
    started: list[str] = []
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pools.heavy("g", _blocker, release, started, "slow"), 0.2)
        assert started == ["slow"]
        assert pools.heavy_running() == 1, "the thread still runs: its slot is still held"
        assert pools.heavy_running("g") == 1
        # Waiting for the slot and giving up: this job must never start.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pools.heavy("g", _blocker, release, started, "queued"), 0.2)
        release.set()
        for _ in range(50):
            if pools.heavy_running() == 0:
                break
            await asyncio.sleep(0.02)
        assert pools.heavy_running() == 0 and pools.heavy_running("g") == 0
        assert await pools.heavy("g", lambda: "next") == "next"
        assert started == ["slow"]
    finally:
        release.set()
        pools.shutdown()


class _Assistant:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


async def test_bot_asks_answer_while_other_servers_fill_the_heavy_pool() -> None:
    """The reported failure: six slow ingests from three servers made an /ask time out."""
    settings = Settings(
        _env_file=None,
        limits=Limits(request_timeout_s=1.0, max_heavy_jobs=2, quick_workers=2),
    )
    bot = ChorusBot(_Assistant(settings), extensions=())  # type: ignore[arg-type]
    release = threading.Event()
    started: list[str] = []
    try:
        heavy: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(
                bot.call_heavy(f"s{i % 3}", _blocker, release, started, f"ingest{i}")
            )
            for i in range(6)
        ]
        await asyncio.sleep(0.1)
        for _ in range(5):
            assert await bot.call(lambda: "answer") == "answer"
        results = await asyncio.gather(*heavy, return_exceptions=True)
        assert all(isinstance(r, RequestTimedOut) for r in results)
        assert len(started) == 2, "jobs that timed out waiting never started"
    finally:
        release.set()
        bot.pools.shutdown()
