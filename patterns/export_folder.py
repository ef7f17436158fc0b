"""All-or-nothing export folders: files are written in a staging folder on the same file
system and moved into place only when all are complete."""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

from common.errors import Hint, InputError


def staging_folder(out_dir: Path) -> Path:
    """A folder on the same file system as out_dir, so moving out of it is a rename: beside a
    new out_dir (the whole folder is then renamed into place), inside an existing one (its
    parent, /tmp's or a home folder's, may not be writable)."""
    tag = f".chorus-export-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return out_dir / tag if out_dir.is_dir() else out_dir.with_name(f".{out_dir.name}{tag}")


_STAGING = re.compile(r"\.chorus-export-(\d+)-[0-9a-f]{8}$")
STALE_AFTER_S = 3600.0


def remove_stale_staging(out_dir: Path) -> None:
    """Remove staging folders an export killed midway left in or beside out_dir: those of a
    process that is gone, untouched for an hour (a live export on another machine sharing
    the folder keeps writing, so it is never an hour old)."""
    inside = list(out_dir.iterdir()) if out_dir.is_dir() else []
    beside = out_dir.parent.glob(f".{out_dir.name}.chorus-export-*")
    now = time.time()
    for path in [*inside, *beside]:
        found = _STAGING.search(path.name)
        if found is None or not path.is_dir() or _alive(int(found.group(1))):
            continue
        try:
            if now - path.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


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
