"""Loading a post file into a scope's store: read once (and its images hashed) into a new
dataset file, installed whole; the same content with the same mapping and image inputs is
reused instead. PatternService decides when (under the dataset's lock); this does it."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from common.errors import Hint, InputError, LimitError
from common.progress import Progress
from corpus.posts.dataset_zip import is_zip, open_dataset_zip
from corpus.posts.image_sources import RETRY_REASONS, ImageLimits
from corpus.posts.load import LoadReport, PostLimits, load_posts
from corpus.posts.media import MediaFolder, MediaSource
from corpus.web.policy import FetchPolicy
from patterns.dataset_schema import FORMAT_VERSION, create_accounts, create_posts
from patterns.post_images import store_post_images
from patterns.store import ScopeStore, write_meta

# DuckDB's dict_fsst string compression halves the benchmark dataset's file (98 -> 37 MB
# for 1M posts of hashed ids) but doubles the time to store it (1.3 -> 2.6 s): loads skip it.
SLOW_COMPRESSION = "dict_fsst"


def digest(path: Path) -> str:
    """The file's sha256 (what tells the same content from a changed one)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


class DatasetLoader:
    """Loads post files within the limits, hashing their images as the settings say."""

    def __init__(
        self,
        limits: PostLimits,
        images: ImageLimits,
        image_cache: Path,
        fetch_policy: FetchPolicy,
    ) -> None:
        self.limits = limits
        self.images = images
        self.image_cache = image_cache
        self.fetch_policy = fetch_policy

    def check_size(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        if size > self.limits.max_bytes:
            raise LimitError(
                f"{path.name} is {size:,} bytes, over the limit of {self.limits.max_bytes:,} "
                "(max_dataset_bytes)"
            )

    def reusable(
        self,
        con: duckdb.DuckDBPyConnection,
        meta: Mapping[str, Any],
        *,
        sha: str,
        mapping: Mapping[str, str],
        strict: bool,
        fetch: bool,
        media: MediaFolder | None,
    ) -> bool:
        """Whether the stored dataset (`con`, its `meta`) is this file's load as it stands."""
        if meta.get("sha256") != sha or meta.get("user_mapping") != dict(mapping):
            return False
        if meta.get("format_version") != FORMAT_VERSION:
            return False  # stored by an older load, which read less of the file
        # The images depend on more than the file: the files it names, the fetch settings.
        # Changed since the load (a fixed setting, a replaced picture): hash them again
        # rather than reuse what failed.
        if meta.get("images") and meta.get("image_inputs") != self.image_inputs(con, media, fetch):
            return False
        skipped = dict(meta.get("images", {}).get("skipped", {}))
        if fetch and any(reason.startswith(RETRY_REASONS) for reason in skipped):
            return False  # loaded offline, or a server did not answer: try those again
        report = LoadReport.from_json(meta["load"])
        if strict and report.bad_timestamps:
            raise InputError(
                f"{report.source}: {report.bad_timestamps:,} rows have timestamps that cannot "
                f"be read ({'; '.join(report.bad_timestamp_examples)}); fix them, or run "
                "without ",
                Hint.option("strict"),
                " to skip them",
            )
        return True

    def image_inputs(
        self, con: duckdb.DuckDBPyConnection, media: MediaFolder | None, fetch: bool
    ) -> str:
        """A digest of what hashing a dataset's images read besides the dataset file: the
        fetch settings, and each named image file's size and modification time (a zip's
        media are in the file's own digest)."""
        policy = self.fetch_policy
        parts = [repr((fetch, policy.allow_private, policy.allowed_networks, self.images))]
        if media is not None:
            rows = con.execute(
                "SELECT DISTINCT f FROM (SELECT unnest(image_files) AS f FROM posts) ORDER BY f"
            ).fetchall()
            parts += [f"{r[0]}={media.stamp(str(r[0]))}" for r in rows]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def load(
        self,
        store: ScopeStore,
        *,
        name: str,
        path: Path,
        sha: str | None,
        mapping: Mapping[str, str],
        strict: bool,
        progress: Progress,
        fetch: bool,
        files_beside: bool,
    ) -> None:
        # A new name: hash the file while DuckDB reads it (hashlib and DuckDB both release
        # the GIL), rather than before.
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
            hashing = pool.submit(digest, path) if sha is None else None
            source_path, shown = path, path.name
            media: MediaSource | None = MediaFolder(path.parent) if files_beside else None
            if is_zip(path):
                zipped = stack.enter_context(
                    open_dataset_zip(
                        path,
                        shown=path.name,
                        scratch=store.dir,
                        max_bytes=self.limits.max_bytes,
                        max_ratio=self.limits.max_unpack_ratio,
                    )
                )
                source_path, shown, media = zipped.path, zipped.shown, zipped.media
            tmp, con = stack.enter_context(store.building())
            report = load_posts(
                source_path,
                con,
                limits=self.limits,
                mapping=mapping,
                strict=strict,
                progress=progress,
                shown=shown,
                scratch_dir=store.dir,
            )
            progress("storing", 0, 3)
            source = "clean_posts"
            con.execute(f"SET disabled_compression_methods = '{SLOW_COMPRESSION}'")
            create_accounts(con, source)
            progress("storing", 1, 3)
            create_posts(con, source)
            progress("storing", 2, 3)
            images = store_post_images(
                con,
                media=media,
                cache_path=self.image_cache,
                limits=replace(self.images, fetch=fetch),
                policy=self.fetch_policy,
                progress=progress,
            )
            if images is not None:
                report = replace(report, image_notes=tuple(images.notes()))
            got = con.execute(
                "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM accounts)"
            ).fetchone()
            posts, accounts = (int(got[0]), int(got[1])) if got else (0, 0)
            write_meta(
                con,
                {
                    "format_version": FORMAT_VERSION,
                    "name": name,
                    "path": str(path.resolve()),
                    "sha256": sha if hashing is None else hashing.result(),
                    "user_mapping": dict(mapping),
                    "load": report.to_json(),
                    "images": images.to_json() if images is not None else {},
                    "image_inputs": self.image_inputs(
                        con, media if isinstance(media, MediaFolder) else None, fetch
                    ),
                    "posts": posts,
                    "accounts": accounts,
                    "loaded_at": time.time(),
                },
            )
            con.execute("RESET disabled_compression_methods")
            for temp in ("_src", "_stage", "_dups", "_merged"):
                con.execute(f"DROP TABLE IF EXISTS {temp}")
            con.execute("CHECKPOINT")
            progress("storing", 3, 3)
            stack.pop_all().close()  # the dataset file is complete and closed: install it
        store.install(name, tmp)
