"""Mixed line endings in a CSV: some rows ending in CRLF, others in LF (rows appended with
`echo` to a file written by Python's csv module). DuckDB's reader fixes one newline per
file and fails on such a file without naming a row, so the loader, only after that failure,
looks for the first row ending that differs and, if there is one, reads a copy with every
CRLF turned into LF. Both passes stream the file in chunks."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np

CHUNK = 8 << 20
QUOTE, NEWLINE, CR = 34, 10, 13


def first_differing_ending(path: Path) -> tuple[int, str, str] | None:
    """(line, its ending, the first line's ending) for the first line, 1-based, whose row
    ending differs from the first row's; None when all agree. Newlines inside quoted fields
    are not row endings and are ignored."""
    first: bool | None = None  # the first row ends in CRLF
    parity = 0  # inside a quoted field after the bytes read so far
    lines = 0  # newlines read so far
    prev_byte = -1
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            arr = np.frombuffer(chunk, dtype=np.uint8)
            inside = (np.cumsum(arr == QUOTE) + parity) % 2
            nl = np.flatnonzero(arr == NEWLINE)
            outside = np.flatnonzero(inside[nl] == 0)  # indexes into nl
            ends = nl[outside]
            before = np.where(ends > 0, arr[np.maximum(ends - 1, 0)], prev_byte)
            crlf = before == CR
            if crlf.size:
                if first is None:
                    first = bool(crlf[0])
                differ = np.flatnonzero(crlf != first)
                if differ.size:
                    line = lines + int(outside[differ[0]]) + 1
                    return line, _name(not first), _name(first)
            parity = int(inside[-1])
            lines += int(nl.size)
            prev_byte = int(arr[-1])
    return None


def _name(crlf: bool) -> str:
    return "CRLF" if crlf else "LF"


def crlf_to_lf(path: Path, scratch: Path) -> Path:
    """A copy of `path` in `scratch` with every CRLF as LF (also inside quoted fields,
    where it only changes how a line break in a post's text is written)."""
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / f".newlines-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        with path.open("rb") as src, out.open("wb") as dst:
            held = b""  # a CR ending the last chunk, whose LF may open the next
            while chunk := src.read(CHUNK):
                chunk = held + chunk
                held = b"\r" if chunk.endswith(b"\r") else b""
                dst.write(chunk[: len(chunk) - len(held)].replace(b"\r\n", b"\n"))
            dst.write(held)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out
