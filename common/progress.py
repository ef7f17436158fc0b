"""The progress callback every long operation accepts.

Front ends decide how to show it: a tqdm bar in the terminal, an edited status message on
Discord. Layers only report (stage, done, total); total is None when unknown.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None) -> None: ...


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The default: report nothing."""
