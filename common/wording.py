"""Wording shared by every layer and front end (terminal, Discord, answers, load notes)."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 item', '2 items', '1,204 accounts'; `many` for irregular plurals."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def window_text(window_s: float) -> str:
    """A time window as every table, answer and note shows it, in seconds as `--window`
    takes them: whole from 10 s, else two significant digits ("8.6 s", "60 s", "300 s")."""
    return f"{window_s:.2g} s" if window_s < 10 else f"{window_s:.0f} s"


def format_bytes(size: int) -> str:
    """Sizes in messages: decimal units, as people read them in file managers."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def plural_shown(n: int, word: str, shown: int) -> str:
    """'4 shared items, 3 shown' when a list gives fewer than the count ('2 items' when
    it gives them all), so that a count and the list under it never disagree."""
    return plural(n, word) + (f", {shown:,} shown" if shown < n else "")
