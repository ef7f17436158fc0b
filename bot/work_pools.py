"""Worker threads for the bot: quick work (asks, checks, lists) and heavy work (ingests,
analyses, charts) in separate bounded pools, so that no server's slow jobs can take the
threads another server's questions need.

Heavy work has a global cap (the heavy pool's size) and a per-server cap. A job over the
per-server cap is refused at once; one over the global cap waits its turn, within the
request time limit. A thread cannot be killed, so a job that times out while running keeps
its slot, for its server and globally, until it really ends: slots are released by the
thread's completion, never by the waiter giving up. A job that times out while still
waiting never starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from common.errors import LimitError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class WorkPools:
    def __init__(self, *, quick_workers: int, heavy_workers: int, heavy_per_scope: int) -> None:
        self.quick_workers = quick_workers
        self.heavy_workers = heavy_workers
        self.heavy_per_scope = heavy_per_scope
        self._quick = ThreadPoolExecutor(quick_workers, thread_name_prefix="chorus-quick")
        self._heavy = ThreadPoolExecutor(heavy_workers, thread_name_prefix="chorus-heavy")
        self._free = heavy_workers  # global heavy slots not held by a running job
        self._waiters: list[asyncio.Future[None]] = []  # FIFO of jobs waiting for a slot
        self._per_scope: dict[str, int] = {}  # jobs admitted per scope, waiting or running

    def heavy_running(self, scope: str | None = None) -> int:
        """Heavy jobs holding a slot (all scopes, or one scope's admitted jobs)."""
        if scope is None:
            return self.heavy_workers - self._free
        return self._per_scope.get(scope, 0)

    async def quick(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the quick pool. Cancelling the wait cancels a job not yet started."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._quick, functools.partial(fn, *args, **kwargs))

    async def heavy(
        self, scope: str, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` on the heavy pool for `scope`, within both caps (see the module doc)."""
        if self._per_scope.get(scope, 0) >= self.heavy_per_scope:
            raise LimitError(
                f"{self.heavy_per_scope} job(s) already running here "
                "(CHORUS_LIMITS__MAX_JOBS_PER_SCOPE); try again when one finishes"
            )
        self._per_scope[scope] = self._per_scope.get(scope, 0) + 1
        try:
            await self._take_slot()
        except BaseException:  # timed out or cancelled while waiting: it never runs
            self._leave(scope)
            raise
        loop = asyncio.get_running_loop()
        try:
            job: Future[T] = self._heavy.submit(functools.partial(fn, *args, **kwargs))
        except BaseException:
            self._give_slot()
            self._leave(scope)
            raise

        def finished(_: Future[T]) -> None:  # in the worker thread: hand back on the loop
            with contextlib.suppress(RuntimeError):  # the loop closed (shutdown): nobody waits
                loop.call_soon_threadsafe(self._job_ended, scope)

        job.add_done_callback(finished)
        # shield: the caller giving up (timeout) must not mark the running job cancelled,
        # or its slot would be counted free while its thread still works.
        return await asyncio.shield(asyncio.wrap_future(job, loop=loop))

    def _job_ended(self, scope: str) -> None:
        self._give_slot()
        self._leave(scope)

    async def _take_slot(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # _give_slot hands the slot over directly (already counted)
        except BaseException:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.done() and not waiter.cancelled():
                self._give_slot()  # handed a slot just as the wait was cancelled: pass it on
            raise

    def _give_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    def _leave(self, scope: str) -> None:
        left = self._per_scope.get(scope, 0) - 1
        if left > 0:
            self._per_scope[scope] = left
        else:
            self._per_scope.pop(scope, None)

    def shutdown(self) -> None:
        """Stop accepting work; running jobs finish in their threads."""
        self._quick.shutdown(wait=False, cancel_futures=True)
        self._heavy.shutdown(wait=False, cancel_futures=True)
