"""The image cache in the data dir (SQLite): each URL's content digest, and each content
digest's perceptual hash, size and thumbnail (or why it could not be hashed), so a rerun
fetches nothing twice and decodes nothing twice."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from corpus.posts.image_hash import HashedImage, ImageSkipped


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class ImageCache:
    """URL -> content digest, and content digest -> hash, size, thumbnail (or why it could
    not be hashed). One SQLite file in the data dir, shared by every dataset; entries hold
    only what any fetch of a public URL returns, and each dataset keeps its own list of the
    digests its posts use."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.lock = threading.Lock()
        with self.lock, self.con:
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute(
                "PRAGMA synchronous=NORMAL"
            )  # a cache: losing the last entries is fine
            self.con.execute("CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, sha TEXT)")
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS images (sha TEXT PRIMARY KEY, phash INTEGER, "
                "windows BLOB, width INTEGER, height INTEGER, thumb BLOB, skipped TEXT)"
            )

    def close(self) -> None:
        self.con.close()

    def url_sha(self, url: str) -> str | None:
        with self.lock:
            row = self.con.execute("SELECT sha FROM urls WHERE url = ?", [url]).fetchone()
        return None if row is None else str(row[0])

    def image(self, sha: str) -> HashedImage | ImageSkipped | None:
        with self.lock:
            row = self.con.execute(
                "SELECT phash, windows, width, height, skipped FROM images WHERE sha = ?", [sha]
            ).fetchone()
        if row is None:
            return None
        if row[4] is not None:
            return ImageSkipped(str(row[4]))
        windows = tuple(int(v) for v in np.frombuffer(row[1], dtype=">u8"))
        return HashedImage(
            phash=_unsigned(int(row[0])), windows=windows, width=row[2], height=row[3], thumb=b""
        )

    def thumbs(self, shas: Iterable[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(shas))
        out: dict[str, bytes] = {}
        with self.lock:
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                for sha, thumb in self.con.execute(
                    f"SELECT sha, thumb FROM images WHERE sha IN ({marks}) AND thumb IS NOT NULL",
                    part,
                ):
                    out[str(sha)] = bytes(thumb)
        return out

    def remember_url(self, url: str, sha: str) -> None:
        with self.lock, self.con:
            self.con.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", [url, sha])

    def put(self, sha: str, result: HashedImage | ImageSkipped, url: str | None = None) -> None:
        with self.lock, self.con:
            if isinstance(result, HashedImage):
                windows = np.asarray(result.windows, dtype=">u8").tobytes()
                self.con.execute(
                    "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    [
                        sha,
                        _signed(result.phash),
                        windows,
                        result.width,
                        result.height,
                        result.thumb,
                    ],
                )
            else:
                self.con.execute(
                    "INSERT OR IGNORE INTO images VALUES (?, NULL, NULL, NULL, NULL, NULL, ?)",
                    [sha, result.reason],
                )
            if url is not None:
                self.con.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", [url, sha])


@contextlib.contextmanager
def open_cache(path: Path) -> Iterator[ImageCache]:
    cache = ImageCache(path)
    try:
        yield cache
    finally:
        cache.close()
