"""Dataset uploads (Discord attachments): the name is only a label, checked before anything
is written; the bytes are held in a private folder of our own naming while analysed."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.errors import InputError, LimitError

DATASET_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet"})


def upload_label(filename: str, size: int, limit: int) -> str:
    """The upload's cleaned name, or a refusal: too big, or not a dataset file."""
    from corpus.reporting.load import safe_filename  # noqa: PLC0415

    label = safe_filename(filename)
    if size > limit:
        raise LimitError(f"{label}: {size:,} bytes; the limit is {limit:,}")
    suffix = "".join(Path(label).suffixes[-2:]).lower()
    if Path(label).suffix.lower() != ".zip" and suffix.removesuffix(".gz") not in DATASET_SUFFIXES:
        raise InputError(
            f"{label}: not a dataset file; send CSV, TSV, JSON Lines, JSON or Parquet "
            f"({', '.join(sorted(DATASET_SUFFIXES))}, optionally gzipped), or a zip "
            "of one of them and its image files"
        )
    return label


@contextmanager
def held_upload(data: bytes, label: str, uploads: Path) -> Iterator[Path]:
    """The bytes as a file named `label` in a private folder under `uploads`, removed after.

    Inside the folder the file carries the cleaned label (never a path: safe_filename keeps
    the last part only), so messages name the upload, not a temporary file."""
    uploads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=uploads) as folder:
        path = Path(folder) / label
        path.write_bytes(data)
        yield path
