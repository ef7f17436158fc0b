"""Text from data made safe to print on a terminal.

Post texts, account ids, titles and file names come from whoever made the dataset or the
source. Printed raw, an escape sequence in them can recolour, clear or rewrite the screen,
and a carriage return or a bidi override can make a line say something else. Every such
character becomes a visible escape (\\x1b, \\u202e); line breaks and tabs of the layout stay.
"""

from __future__ import annotations

import re
from typing import Final

_UNSAFE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with control and bidi-control characters shown as escapes (not \\n or \\t)."""
    return _UNSAFE.sub(_escape, text)
