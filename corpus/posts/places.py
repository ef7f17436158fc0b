"""Where a row of a post file is, as its user finds it in the file: `posts.csv line 5` (the
file's line, 1-based, the header being line 1), `posts.jsonl line 3`, `posts.json record 2`
(a JSON array's elements or concatenated objects, counting from 1), `posts.parquet row 7`.

Rows are numbered from 1 in file order while loading; a CSV row's line differs from its
number by the header, blank lines (skipped) and line breaks inside quoted fields, so it is
found by scanning the file, only for the few rows a message names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

# rows (1-based, in file order) -> how each is named ("line 5")
Places = Callable[[Sequence[int]], dict[int, str]]
SCAN_CHUNK = 8 << 20
QUOTE, NEWLINE, CR = 34, 10, 13


def numbered(unit: str, numbers: Sequence[int] | None = None) -> Places:
    """Rows named `unit N`: N the row itself, or `numbers[row - 1]` (a JSON Lines post's
    line, several posts of one Twitter v2 page sharing it)."""

    def places(rows: Sequence[int]) -> dict[int, str]:
        return {r: f"{unit} {numbers[r - 1] if numbers is not None else r}" for r in rows}

    return places


def csv_places(path: Path) -> Places:
    """CSV rows named by the line of the file each starts on."""

    def places(rows: Sequence[int]) -> dict[int, str]:
        lines = csv_lines(path, rows)
        return {r: f"line {lines[r]}" if r in lines else f"row {r}" for r in rows}

    return places


def csv_lines(path: Path, rows: Sequence[int]) -> dict[int, int]:
    """The file line (1-based) each data row (1-based, after the header) starts on, for a
    CSV quoted with '"' (doubled inside a field), whose blank lines are skipped as DuckDB
    skips them. Reads only as far as the last row asked for."""
    wanted = set(rows)
    last = max(wanted, default=0)
    found: dict[int, int] = {}
    parity = 0  # inside a quoted field after the bytes read so far
    lines = 0  # newlines read so far
    prev_end, prev_end_line, prev_byte = -1, 0, -1  # the last record-ending newline
    records = 0  # non-empty records so far (the header is the first)
    offset = 0
    with path.open("rb") as f:
        while records <= last and (chunk := f.read(SCAN_CHUNK)):
            arr = np.frombuffer(chunk, dtype=np.uint8)
            inside = (np.cumsum(arr == QUOTE) + parity) % 2
            nl = np.flatnonzero(arr == NEWLINE)
            outside = inside[nl] == 0
            ends = nl[outside] + offset
            end_lines = lines + np.flatnonzero(outside) + 1
            starts = np.r_[prev_end, ends[:-1]] + 1
            start_lines = np.r_[prev_end_line, end_lines[:-1]] + 1
            # A record is empty when nothing but a carriage return precedes its newline.
            before = np.where(ends - 1 >= offset, arr[np.maximum(ends - 1 - offset, 0)], prev_byte)
            span = ends - starts
            keep = (span > 1) | ((span == 1) & (before != CR))
            numbers = records + np.cumsum(keep) - 1  # 0 = the header
            for n, line in zip(numbers[keep], start_lines[keep], strict=True):
                if int(n) in wanted:
                    found[int(n)] = int(line)
            records += int(keep.sum())
            if ends.size:
                prev_end, prev_end_line = int(ends[-1]), int(end_lines[-1])
            parity = int(inside[-1])
            lines += int(nl.size)
            prev_byte = int(arr[-1])
            offset += len(chunk)
    if records in wanted and offset - prev_end > 1:  # a last row without a newline
        found[records] = prev_end_line + 1
    return found
