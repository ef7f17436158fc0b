"""A zip that holds a post dataset and its media: the dataset file is unpacked (size-capped)
for the ordinary readers, and its image files are read from the zip on demand."""

from __future__ import annotations

import contextlib
import os
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from common.errors import InputError, LimitError
from corpus.posts.media import MediaZip, zip_member_safe
from corpus.posts.unpack import copy_bounded, unpack_limit

DATASET_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
MAX_MEMBERS = 2_000_000


def is_zip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PK\x03\x04"


@dataclass(frozen=True)
class ZippedDataset:
    path: Path  # the unpacked dataset file (removed when the context ends)
    shown: str  # "archive.zip:posts.csv"
    media: MediaZip


def _is_dataset(name: str) -> bool:
    low = name.lower().removesuffix(".gz")
    base = PurePosixPath(name).name
    return low.endswith(DATASET_SUFFIXES) and not base.startswith(".") and "__MACOSX" not in name


@contextlib.contextmanager
def open_dataset_zip(
    path: Path, *, shown: str, scratch: Path, max_bytes: int, max_ratio: int = 100
) -> Iterator[ZippedDataset]:
    """Find the one dataset file in the zip, unpack it under `scratch`, and give its media."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{shown} is not a readable zip file ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise LimitError(f"{shown} has {len(infos):,} members, over {MAX_MEMBERS:,}")
        found = [
            i
            for i in infos
            if not i.is_dir() and zip_member_safe(i.filename) and _is_dataset(i.filename)
        ]
        if not found:
            raise InputError(
                f"{shown}: the zip holds no dataset file ({', '.join(DATASET_SUFFIXES)})"
            )
        if len(found) > 1:
            names = ", ".join(i.filename for i in found[:5])
            raise InputError(
                f"{shown}: the zip holds several dataset files ({names}); put one in it"
            )
        info = found[0]
        limit, why = unpack_limit(info.compress_size, max_bytes=max_bytes, max_ratio=max_ratio)
        if info.file_size > limit:
            raise LimitError(
                f"{shown}:{info.filename} is {info.file_size:,} bytes unpacked, over the "
                f"limit of {limit:,} ({why})"
            )
        scratch.mkdir(parents=True, exist_ok=True)
        suffix = "".join(PurePosixPath(info.filename).suffixes[-2:]).lower()
        out = scratch / f".unzip-{os.getpid()}-{uuid.uuid4().hex}{suffix}"
        try:
            with archive.open(info) as src, out.open("wb") as dst:
                copy_bounded(  # the declared size may lie
                    src,
                    dst,
                    shown=f"{shown}:{info.filename}",
                    packed=info.compress_size,
                    max_bytes=max_bytes,
                    max_ratio=max_ratio,
                )
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            out.unlink(missing_ok=True)
            raise InputError(f"{shown}:{info.filename} cannot be unpacked ({exc})") from None
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        try:
            prefix = str(PurePosixPath(info.filename).parent)
            yield ZippedDataset(
                path=out,
                shown=f"{shown}:{info.filename}",
                media=MediaZip(archive, "" if prefix == "." else prefix),
            )
        finally:
            out.unlink(missing_ok=True)
