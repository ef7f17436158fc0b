"""Background job slots: at most `max_jobs_per_scope` ingests or analyses at once per scope."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from common.errors import LimitError


class JobSlots:
    """Counts the jobs running for each scope; one over the limit is refused, not queued."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}

    @contextmanager
    def slot(self, scope: str) -> Iterator[None]:
        with self._lock:
            if self._running.get(scope, 0) >= self._limit:
                raise LimitError(
                    f"{self._limit} job(s) already running here; try again when one finishes"
                )
            self._running[scope] = self._running.get(scope, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._running[scope] -= 1
