"""Unpacking a compressed dataset (gzip, a zip member) to a scratch file, bounded while it
unpacks: a small bomb is stopped at the limit, never written out in full first.

The bound is the smaller of max_dataset_bytes and max_unpack_ratio times the compressed size.
Real post exports compress 2-4x with gzip -9 (the russian, german and IRA sets), so a ratio
of 100 refuses no real file, while a 5.5 MB gzip bomb stops after 550 MB, not 2 GB.
"""

from __future__ import annotations

from typing import IO

from common.errors import LimitError

CHUNK = 1 << 20


def unpack_limit(packed: int, *, max_bytes: int, max_ratio: int) -> tuple[int, str]:
    """(most bytes the unpacked file may hold, the setting that sets it)."""
    by_ratio = max_ratio * max(packed, 1)
    if by_ratio < max_bytes:
        return by_ratio, f"{max_ratio}x its {packed:,} compressed bytes, max_unpack_ratio"
    return max_bytes, "max_dataset_bytes"


def copy_bounded(
    src: IO[bytes], dst: IO[bytes], *, shown: str, packed: int, max_bytes: int, max_ratio: int
) -> int:
    """Copy src to dst a chunk at a time; refuse (naming `shown`) once past the bound."""
    limit, why = unpack_limit(packed, max_bytes=max_bytes, max_ratio=max_ratio)
    written = 0
    # Read at most one byte past the limit: a bomb costs no more than `limit` of disk.
    while chunk := src.read(min(CHUNK, limit + 1 - written)):
        written += len(chunk)
        if written > limit:
            raise LimitError(f"{shown} unpacks to more than {limit:,} bytes ({why})")
        dst.write(chunk)
    return written
