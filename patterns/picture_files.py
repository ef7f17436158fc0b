"""Where a picture (`chorus cluster ID --plot FILE`, its contact sheet) is written: into a
folder that already exists, whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from common.errors import InputError


def check_picture_path(path: Path) -> None:
    """InputError, one line, unless `path` names a file in an existing folder. Folders are
    never made: a mistyped folder should say so, not appear."""
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name ending in .png or .svg")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise InputError(f"cannot write the chart to {path}: the folder {parent} {what}")


def write_picture(path: Path, write: Callable[[Path], None]) -> Path:
    """`write` into a temporary file beside `path`, then rename it into place: a failure
    leaves neither a half-written picture nor the temporary file."""
    check_picture_path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(
            f"cannot write the chart to {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
