"""Where a dataset's image files are read from: the folder beside the dataset file, or the
zip that holds it. Nothing outside either is read (no absolute names, no `..`, no drive
letters); a file that cannot be read is an `ImageSkipped` with its reason."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path, PurePosixPath

from corpus.posts.image_hash import ImageSkipped


class MediaFolder:
    """Image files named relative to the dataset file's folder; nothing outside it."""

    def __init__(self, base: Path) -> None:
        self.base = base.resolve()

    def read(self, rel: str, max_bytes: int) -> bytes:
        path = _safe_relative(rel)
        full = (self.base / path).resolve()
        if not full.is_relative_to(self.base):
            raise ImageSkipped("path outside the dataset folder")
        try:
            with full.open("rb") as f:
                data = f.read(max_bytes + 1)
        except FileNotFoundError:
            raise ImageSkipped("file not found") from None
        except IsADirectoryError:
            raise ImageSkipped("not a file") from None
        except OSError:
            raise ImageSkipped("file not readable") from None
        if len(data) > max_bytes:
            raise ImageSkipped("over the byte cap per image (images.max_image_bytes)")
        return data

    def stamp(self, rel: str) -> str:
        """Size and modification time of an image file, to tell a changed one on a rerun."""
        try:
            st = (self.base / _safe_relative(rel)).stat()
        except (OSError, ImageSkipped):
            return "-"
        return f"{st.st_size}:{st.st_mtime_ns}"


class MediaZip:
    """Image files inside the zip that holds the dataset, relative to the dataset's folder
    in the zip. Member names that climb out of the zip's root are refused."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str) -> None:
        self.archive = archive
        self.prefix = prefix
        self.lock = threading.Lock()  # ZipFile reads share one file position
        self.names: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if not info.is_dir() and zip_member_safe(info.filename):
                self.names[str(PurePosixPath(info.filename))] = info

    def read(self, rel: str, max_bytes: int) -> bytes:
        path = _safe_relative(rel)
        name = str(PurePosixPath(self.prefix) / path) if self.prefix else str(path)
        info = self.names.get(name)
        if info is None:
            raise ImageSkipped("file not found in the zip")
        if info.file_size > max_bytes:
            raise ImageSkipped("over the byte cap per image (images.max_image_bytes)")
        with self.lock:
            try:
                with self.archive.open(info) as f:
                    data = f.read(max_bytes + 1)  # the declared size may lie
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                raise ImageSkipped("zip member unreadable") from None
        if len(data) > max_bytes:
            raise ImageSkipped("over the byte cap per image (images.max_image_bytes)")
        return data


def zip_member_safe(name: str) -> bool:
    """False for absolute names, drive letters and any `..` step (zip slip)."""
    if not name or name.startswith(("/", "\\")) or "\x00" in name:
        return False
    parts = name.replace("\\", "/").split("/")
    return ".." not in parts and not (len(parts[0]) == 2 and parts[0][1] == ":")


def _safe_relative(rel: str) -> PurePosixPath:
    text = rel.strip().replace("\\", "/")
    if not text or not zip_member_safe(text):
        raise ImageSkipped("path outside the dataset folder")
    return PurePosixPath(text)


MediaSource = MediaFolder | MediaZip
