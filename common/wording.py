"""Wording shared by every layer and front end (terminal, Discord, answers, load notes)."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 item', '2 items', '1,204 accounts'; `many` for irregular plurals."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"
