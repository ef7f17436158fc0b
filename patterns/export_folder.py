"""All-or-nothing export folders: files are written in a staging folder on the same file
system and moved into place only when all are complete."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from common.errors import Hint, InputError


def staging_folder(out_dir: Path) -> Path:
    """A folder on the same file system as out_dir, so moving out of it is a rename: beside a
    new out_dir (the whole folder is then renamed into place), inside an existing one (its
    parent, /tmp's or a home folder's, may not be writable)."""
    tag = f".chorus-export-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return out_dir / tag if out_dir.is_dir() else out_dir.with_name(f".{out_dir.name}{tag}")


def move_into_place(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Every file at once where the folder is new; else one rename each, the files they
    replace kept (hard links) until all are in, and put back if one rename fails."""
    if not out_dir.is_dir():
        os.rename(staging, out_dir)
        return
    old = staging / ".previous"
    old.mkdir()
    moved: list[str] = []
    try:
        for name in names:
            if (out_dir / name).exists():
                _keep(out_dir / name, old / name)
            os.replace(staging / name, out_dir / name)
            moved.append(name)
    except OSError:
        for name in moved:
            if (old / name).exists():
                os.replace(old / name, out_dir / name)
            else:
                (out_dir / name).unlink(missing_ok=True)
        raise


def _keep(path: Path, copy: Path) -> None:
    try:
        os.link(path, copy)
    except OSError:  # a file system without hard links
        shutil.copy2(path, copy)


def check_target(out_dir: Path) -> None:
    """Fail now, before any work is stored, when out_dir can never hold the exports: it is a
    file, or it is new and the nearest folder that exists above it is a file or read-only.
    (An existing folder holds the staging folder itself, so only it needs to be writable.)"""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError(
                f"{out_dir} is a file; give ", Hint.option("out"), " a folder (new or existing)"
            )
        return
    above = next((p for p in out_dir.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise InputError(f"cannot create the export folder {out_dir}: {above} is a file")
    if above is not None and not os.access(above, os.W_OK):
        raise InputError(f"cannot create the export folder {out_dir}: Permission denied")


def make_folder(out_dir: Path) -> None:
    """Check out_dir can be made (or is a folder) and make its parents; not out_dir itself,
    which appears with the files in it."""
    check_target(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the export folder {out_dir}: {reason(exc)}") from None


def reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
