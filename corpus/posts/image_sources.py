"""The images a dataset names, hashed (where files are read from: media.py; the cache:
image_cache.py): files beside the dataset (a folder or the zip that
holds it), image URLs (fetched through the SSRF-safe fetcher) and precomputed perceptual
hashes. Every image that cannot be hashed is counted under its reason, never fatal.

A cache in the data dir (SQLite) remembers each URL's content digest and each content
digest's hash and thumbnail, so a rerun fetches nothing twice and decodes nothing twice.
Fetch failures are not cached (a server that was down may be up next time).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from common.errors import FetchError, LimitError
from common.progress import Progress, no_progress
from common.wording import plural
from corpus.posts.image_cache import ImageCache
from corpus.posts.image_hash import HashedImage, ImageSkipped, hash_image
from corpus.posts.media import MediaSource
from corpus.web.policy import FetchPolicy

logger = logging.getLogger(__name__)

RefKind = Literal["file", "url", "phash"]
NOT_FETCHED = "URL not fetched (--no-fetch-images)"
# Skip reasons that may pass on a rerun with nothing changed (a server that was down): a
# reload tries those images again.
RETRY_REASONS = (
    NOT_FETCHED,
    "connection failed",
    "fetch timed out",
    "fetch failed",
    "the server answered HTTP 5",
)
OVER_TOTAL = "over the total image byte cap (images.max_total_bytes)"
TOO_MANY = "over the image count cap (images.max_images)"
BATCH = 256  # images hashed per round of worker threads


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on the images of one dataset load."""

    fetch: bool = True
    max_image_bytes: int = 10_000_000
    max_total_bytes: int = 2_000_000_000
    max_pixels: int = 40_000_000
    max_images: int = 1_000_000
    concurrency: int = 8


@dataclass(frozen=True)
class ImageRef:
    pid: int
    kind: RefKind
    ref: str


@dataclass(frozen=True)
class PostImage:
    pid: int
    phash: int
    sha: str | None  # content digest (None for a hash the data carried)
    windows: tuple[int, ...] = ()  # the image's window hashes (see corpus.posts.image_hash)


SKIP_EXAMPLES = 5  # images named per skip reason in the notes


@dataclass
class ImageReport:
    """What happened to the images a dataset names: shown to the user, kept with the data."""

    refs: int = 0
    distinct: int = 0
    hashed: int = 0
    cached: int = 0
    fetched: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, example: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n
        shown = self.examples.setdefault(reason, [])
        if len(shown) < SKIP_EXAMPLES and example not in shown:  # one example hid the rest
            shown.append(example)

    def notes(self) -> list[str]:
        if not self.refs:
            return []
        parts = [f"{self.hashed:,} of {self.distinct:,} distinct images hashed"]
        if self.fetched:
            parts.append(f"{self.fetched:,} fetched")
        if self.cached:
            parts.append(f"{self.cached:,} from the cache")
        out = ["images: " + ", ".join(parts)]
        for reason, n in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            shown = self.examples.get(reason, [])
            more = f" and {n - len(shown):,} more" if n > len(shown) else ""
            label = "e.g. " if more else ""
            out.append(f"{plural(n, 'image')} skipped: {reason} ({label}{', '.join(shown)}{more})")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "refs": self.refs,
            "distinct": self.distinct,
            "hashed": self.hashed,
            "cached": self.cached,
            "fetched": self.fetched,
            "skipped": dict(self.skipped),
            "examples": {k: list(v) for k, v in self.examples.items()},
        }


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- hashing a dataset's images -----------------------------------------------------------


def parse_phash(text: str) -> int | None:
    """A precomputed 64-bit perceptual hash: 16 hex digits (an optional 0x)."""
    t = text.strip().lower().removeprefix("0x")
    if len(t) != 16:
        return None
    try:
        return int(t, 16)
    except ValueError:
        return None


# A fetch failure's message -> the reason it is counted under (first match wins).
_FETCH_REASONS = (
    ("unsupported content type", "not an image (the server sent another content type)"),
    ("timed out", "fetch timed out"),
    # Before "refused": a closed port's "Connection refused" is no refused address.
    ("could not connect", "connection failed (nothing answered at that address and port)"),
    ("connection failed", "connection failed"),
    ("HTTP ", "the server answered with an HTTP error"),
    ("not a public", "refused address (private, loopback or reserved)"),
    ("private", "refused address (private, loopback or reserved)"),
    ("loopback", "refused address (private, loopback or reserved)"),
    ("refused", "refused address (private, loopback or reserved)"),
    ("URL", "not a usable URL"),
    ("host", "not a usable URL"),
)


def _fetch_reason(exc: Exception) -> str:
    if isinstance(exc, LimitError):
        return "over the byte cap per image (images.max_image_bytes)"
    text = str(exc)
    status = _HTTP_STATUS.search(text)
    if status:  # counted per status: a 404 and a 403 call for different fixes
        return f"the server answered HTTP {status.group(1)}"
    return next((reason for part, reason in _FETCH_REASONS if part in text), "fetch failed")


_HTTP_STATUS = re.compile(r"answered HTTP (\d{3})")


@dataclass
class _Job:
    kind: RefKind
    ref: str
    pids: list[int]


def _fetch_body(url: str, policy: FetchPolicy) -> bytes:
    # Imported here: httpx and the document parsers are needed only to fetch.
    from corpus.web.fetch import fetch_bytes  # noqa: PLC0415

    return fetch_bytes(url, policy).body


def hash_post_images(
    refs: Iterable[ImageRef],
    *,
    media: MediaSource | None,
    cache: ImageCache,
    limits: ImageLimits,
    policy: FetchPolicy,
    progress: Progress = no_progress,
    fetcher: Callable[[str, FetchPolicy], bytes] | None = None,
) -> tuple[list[PostImage], ImageReport]:
    """Hash every distinct image the posts name; return (post, hash) rows and the report."""
    report = ImageReport()
    jobs: dict[tuple[RefKind, str], _Job] = {}
    out: list[PostImage] = []
    for r in refs:
        report.refs += 1
        if r.kind == "phash":
            value = parse_phash(r.ref)
            if value is None:
                report.skip("not a 16-hex-digit perceptual hash", _clip(r.ref))
            else:
                out.append(PostImage(r.pid, value, None))
            continue
        job = jobs.get((r.kind, r.ref))
        if job is None:
            if len(jobs) >= limits.max_images:
                report.skip(TOO_MANY, _clip(r.ref))
                continue
            job = jobs[(r.kind, r.ref)] = _Job(r.kind, r.ref, [])
        job.pids.append(r.pid)
    report.distinct = len(jobs) + len({p.phash for p in out})
    report.hashed = len({p.phash for p in out})
    worker = _Worker(
        media=media,
        cache=cache,
        limits=limits,
        policy=policy,
        fetch=fetcher or _fetch_body,
        budget=_Budget(limits.max_total_bytes),
    )
    todo = list(jobs.values())
    progress("hashing images", 0, len(todo))
    with ThreadPoolExecutor(max_workers=max(1, limits.concurrency)) as pool:
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            results = pool.map(worker.run, batch)
            for job, (sha, result, how) in zip(batch, results, strict=True):
                if how == "fetched":
                    report.fetched += 1
                elif how == "cached":
                    report.cached += 1
                if isinstance(result, HashedImage):
                    report.hashed += 1
                    out.extend(
                        PostImage(pid, result.phash, sha, result.windows) for pid in job.pids
                    )
                else:
                    report.skip(result.reason, _clip(job.ref))
            progress("hashing images", min(len(todo), start + BATCH), len(todo))
    logger.info("images: %s", report.to_json())
    return out, report


class _Budget:
    """The total bytes read or fetched for one load, shared by the worker threads."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self.lock:
            if n > self.left:
                self.left = 0
                return False
            self.left -= n
            return True

    def empty(self) -> bool:
        with self.lock:
            return self.left <= 0


@dataclass
class _Worker:
    """Hashes one image at a time (run from several threads): bytes from the cache, the
    media source or the fetcher, within the shared byte budget."""

    media: MediaSource | None
    cache: ImageCache
    limits: ImageLimits
    policy: FetchPolicy
    fetch: Callable[[str, FetchPolicy], bytes]
    budget: _Budget

    def run(self, job: _Job) -> tuple[str | None, HashedImage | ImageSkipped, str]:
        """(content digest, result, how: "cached" | "fetched" | "read") for one image."""
        if job.kind == "url":
            sha = self.cache.url_sha(job.ref)
            hit = self.cache.image(sha) if sha is not None else None
            if hit is not None:
                return sha, hit, "cached"
        try:
            data, how = self._bytes(job)
        except ImageSkipped as skip:
            return None, skip, "read"
        if not self.budget.take(len(data)):
            return None, ImageSkipped(OVER_TOTAL), how
        sha = hashlib.sha256(data).hexdigest()
        hit = self.cache.image(sha)
        if hit is not None:
            if job.kind == "url":
                self.cache.remember_url(job.ref, sha)
            return sha, hit, "cached" if how == "read" else how
        try:
            result: HashedImage | ImageSkipped = hash_image(data, max_pixels=self.limits.max_pixels)
        except ImageSkipped as skip:
            result = skip
        except MemoryError:
            result = ImageSkipped("too large to decode in memory")
        self.cache.put(sha, result, url=job.ref if job.kind == "url" else None)
        return sha, result, how

    def _bytes(self, job: _Job) -> tuple[bytes, str]:
        if self.budget.empty():
            raise ImageSkipped(OVER_TOTAL)
        if job.kind != "url":
            if self.media is None:
                raise ImageSkipped("no folder to read image files from")
            return self.media.read(job.ref, self.limits.max_image_bytes), "read"
        if not self.limits.fetch:
            raise ImageSkipped(NOT_FETCHED)
        try:
            return self.fetch(job.ref, self.policy), "fetched"
        except (FetchError, LimitError) as exc:
            raise ImageSkipped(_fetch_reason(exc)) from None
