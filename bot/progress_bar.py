"""Terminal progress: a tqdm bar on stderr (hidden when stderr is not a terminal)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


class TerminalProgress:
    """A `common.progress.Progress` that draws one tqdm bar per stage."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self._bar is None or stage != self._stage:
            self.close()
            from tqdm import tqdm  # noqa: PLC0415 - only when a bar is drawn

            self._bar = tqdm(total=total, desc=stage, unit="", file=sys.stderr, leave=False)
            self._stage = stage
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
