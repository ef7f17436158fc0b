"""PatternService: the API front ends call. Loads post datasets, analyses them, and answers
for stored datasets and clusters, always inside one scope (tenant).

A name or cluster id from another scope fails exactly like a missing one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from common.errors import Hint, InputError, LimitError, NotFoundError
from common.progress import Progress, no_progress
from corpus.posts.dataset_zip import is_zip, open_dataset_zip
from corpus.posts.image_cache import open_cache
from corpus.posts.image_hash import phash_hex
from corpus.posts.image_sources import RETRY_REASONS, ImageLimits
from corpus.posts.load import LoadReport, PostLimits, load_posts
from corpus.posts.media import MediaFolder, MediaSource
from corpus.web.policy import FetchPolicy
from patterns.config import AnalysisConfig
from patterns.engine import run_analysis, save_analysis
from patterns.exports import export_analysis
from patterns.nearimage import cluster_images, image_matches
from patterns.params import AnalysisParams, EngineChoice
from patterns.post_images import store_post_images
from patterns.queries import cluster_rows, latest_ref, ranked
from patterns.reader import members as cluster_members
from patterns.results import AnalysisResult, ClusterDetail, DatasetInfo, ImageMatch
from patterns.store import (
    FORMAT_VERSION,
    MEMORY_LIMIT,
    BusyError,
    ScopeStore,
    all_dataset_files,
    check_name,
    connect,
    default_name,
    ensure_schema,
    read_meta,
    write_meta,
)

logger = logging.getLogger(__name__)

CLUSTER_ID = re.compile(r"^c[0-9a-f]{12}$")
DAY = 86_400.0
# DuckDB's dict_fsst string compression halves the benchmark dataset's file (98 -> 37 MB
# for 1M posts of hashed ids) but doubles the time to store it (1.3 -> 2.6 s): loads skip it.
SLOW_COMPRESSION = "dict_fsst"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def _image_matches(con: duckdb.DuckDBPyConnection, detail: ClusterDetail) -> tuple[ImageMatch, ...]:
    return tuple(
        ImageMatch(a, b, phash_hex(ha), phash_hex(hb), dist)
        for a, b, ha, hb, dist in image_matches(con, detail.analysis_id, detail.id)
    )


class PatternService:
    """Coordination analysis over stored datasets, keyed by (scope, name)."""

    def __init__(
        self,
        root: Path,
        defaults: AnalysisConfig,
        *,
        max_rows: int,
        max_bytes: int,
        max_field_chars: int,
        max_columns: int,
        max_items_per_post: int = PostLimits.max_items_per_post,
        max_unpack_ratio: int = PostLimits.max_unpack_ratio,
        memory_limit: str = MEMORY_LIMIT,
        temp_dir: Path | None = None,
        images: ImageLimits | None = None,
        image_cache: Path | None = None,
        fetch_policy: FetchPolicy | None = None,
    ) -> None:
        self.root = Path(root)
        self.defaults = defaults
        self.images = images or ImageLimits()
        self.image_cache = image_cache or self.root / "image-cache.sqlite"
        self.fetch_policy = fetch_policy or FetchPolicy(max_bytes=self.images.max_image_bytes)
        self.limits = PostLimits(
            max_rows=max_rows,
            max_bytes=max_bytes,
            max_field_chars=max_field_chars,
            max_columns=max_columns,
            max_items_per_post=max_items_per_post,
            max_unpack_ratio=max_unpack_ratio,
        )
        self.memory_limit = memory_limit
        self.temp_dir = temp_dir

    # --- parameters ---------------------------------------------------------------------

    def params(self, **overrides: Any) -> AnalysisParams:
        """Settings defaults with the given overrides (None means "use the default")."""
        return AnalysisParams.from_config(self.defaults, **overrides)

    def engine(
        self,
        name: str | None = None,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        shared_dir: str | None = None,
    ) -> EngineChoice:
        """Where pairing runs: the settings' choice with the given overrides. Dask shards
        go to `shared_dir`, by default a folder of the data dir."""
        d = self.defaults
        return EngineChoice(
            name=name or d.engine,  # type: ignore[arg-type]  # EngineChoice checks it
            scheduler=d.dask_scheduler if scheduler is None else scheduler,
            workers=d.dask_workers if workers is None else workers,
            shared_dir=(d.dask_shared_dir if shared_dir is None else shared_dir)
            or str(self.root / "dask-shards"),
        )

    def _store(self, scope: str) -> ScopeStore:
        return ScopeStore(self.root, scope, memory_limit=self.memory_limit, temp_dir=self.temp_dir)

    @contextlib.contextmanager
    def _open(self, store: ScopeStore, name: str) -> Iterator[duckdb.DuckDBPyConnection]:
        found = store.require(name)
        con = store.connect(found.path)
        try:
            yield con
        finally:
            con.close()

    # --- loading and analysing ----------------------------------------------------------

    def analyze_file(
        self,
        path: Path,
        *,
        scope: str,
        name: str | None = None,
        mapping: Mapping[str, str] | None = None,
        params: AnalysisParams | None = None,
        strict: bool = False,
        progress: Progress = no_progress,
        fetch_images: bool | None = None,
        files_beside: bool = True,
        engine: EngineChoice | None = None,
    ) -> AnalysisResult:
        """Load `path` as dataset `name` (default: the file name without extension), or
        reuse it when the same content with the same mapping is already stored under that
        name, then analyse it. A zip holding one dataset file and its media is read as
        that file, with its image files taken from the zip; otherwise image files are read
        from the file's folder, unless `files_beside` is False (an upload's folder is ours,
        not the user's)."""
        path = Path(path)
        name = check_name(name or default_name(path))
        mapping = dict(mapping or {})
        fetch = self.images.fetch if fetch_images is None else fetch_images
        store = self._store(scope)
        with store.lock(name):
            store.collect_garbage()
            self._check_size(path)
            sha: str | None = None
            reused = False
            held: str | None = None  # the file a dataset of this name was loaded from
            if store.current(name) is not None:  # only then is the digest needed up front
                sha = _digest(path)
                media = MediaFolder(path.parent) if files_beside and not is_zip(path) else None
                with self._open(store, name) as con:
                    meta = read_meta(con)
                    held = meta.get("path")
                    reused = self._reusable(
                        con,
                        meta,
                        sha=sha,
                        mapping=mapping,
                        strict=strict,
                        fetch=fetch,
                        media=media,
                    )
            if not reused:
                self._load(
                    store,
                    name=name,
                    path=path,
                    sha=sha,
                    mapping=mapping,
                    strict=strict,
                    progress=progress,
                    fetch=fetch,
                    files_beside=files_beside,
                )
            result = self._analyze(store, name, params, progress, engine)
        here = str(path.resolve())
        if not reused and files_beside and held and held != here:  # said once, not stored
            note = f"replaced dataset {name!r}, which held {held} (another name keeps both)"
            result = replace(result, notes=(note, *result.notes))
        return result

    def analyze_dataset(
        self,
        name: str,
        *,
        scope: str,
        params: AnalysisParams | None = None,
        progress: Progress = no_progress,
        engine: EngineChoice | None = None,
    ) -> AnalysisResult:
        """Analyse stored data again (other parameters), without reading the file."""
        store = self._store(scope)
        with store.lock(name):
            return self._analyze(store, name, params, progress, engine)

    def _check_size(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        if size > self.limits.max_bytes:
            raise LimitError(
                f"{path.name} is {size:,} bytes, over the limit of {self.limits.max_bytes:,} "
                "(max_dataset_bytes)"
            )

    def _reusable(
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
        # The images depend on more than the file: the files it names, the fetch settings.
        # Changed since the load (a fixed setting, a replaced picture): hash them again
        # rather than reuse what failed.
        if meta.get("images") and meta.get("image_inputs") != self._image_inputs(con, media, fetch):
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

    def _image_inputs(
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

    def _load(
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
            digest = pool.submit(_digest, path) if sha is None else None
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
            con.execute(
                "CREATE TABLE accounts AS SELECT "
                "CAST(row_number() OVER (ORDER BY first_row) - 1 AS INTEGER) AS aid, "
                "account_id, name, created, first_t, posts FROM ("
                "SELECT account_id, max(account_name) AS name, min(account_created_at) AS created, "
                "min(t) AS first_t, count(*) AS posts, min(row) AS first_row "
                f"FROM {source} GROUP BY account_id)"
            )
            progress("storing", 1, 3)
            con.execute(
                "CREATE TABLE posts AS SELECT CAST(c.row AS INTEGER) AS pid, c.post_id, a.aid, "
                "c.t, c.text, c.urls, c.hashtags, c.image_hashes, c.domains, c.repost_of, "
                "c.reply_to, c.platform, c.image_files, c.image_urls, c.image_phashes "
                f"FROM {source} c JOIN accounts a USING (account_id)"
            )
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
                    "sha256": sha if digest is None else digest.result(),
                    "user_mapping": dict(mapping),
                    "load": report.to_json(),
                    "images": images.to_json() if images is not None else {},
                    "image_inputs": self._image_inputs(
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

    def _analyze(
        self,
        store: ScopeStore,
        name: str,
        params: AnalysisParams | None,
        progress: Progress,
        engine: EngineChoice | None = None,
    ) -> AnalysisResult:
        params = params or self.params()
        engine = engine or self.engine()
        with self._open(store, name) as con:
            ensure_schema(con)
            meta = read_meta(con)
            load = LoadReport.from_json(meta["load"])
            try:
                analysis = run_analysis(
                    con,
                    dataset=name,
                    data_sha=str(meta["sha256"]),
                    posts=int(meta["posts"]),
                    accounts=int(meta["accounts"]),
                    params=params,
                    load=load,
                    progress=progress,
                    engine=engine,
                )
                save_analysis(con, analysis, progress)
            except (duckdb.OutOfMemoryException, MemoryError):
                raise LimitError(
                    f"analysing {name} needs more memory than allowed (DuckDB's limit is "
                    f"{self.memory_limit}, CHORUS_LIMITS__ANALYSIS_MEMORY); try a smaller "
                    "window or fewer signals"
                ) from None
        return analysis.result

    # --- reading back -------------------------------------------------------------------

    def datasets(self, scope: str) -> list[DatasetInfo]:
        store = self._store(scope)
        out = []
        for found in store.all_current():
            con = store.connect(found.path)
            try:
                meta = read_meta(con)
            finally:
                con.close()
            load = LoadReport.from_json(meta["load"])
            out.append(
                DatasetInfo(
                    name=str(meta["name"]),
                    source=load.source,
                    sha256=str(meta["sha256"]),
                    format=load.format,
                    layout=load.layout,
                    posts=int(meta["posts"]),
                    accounts=int(meta["accounts"]),
                    loaded_at=float(meta["loaded_at"]),
                    load=load,
                    mapping=dict(load.mapping),
                )
            )
        return sorted(out, key=lambda d: d.name)

    def remove_dataset(self, name: str, *, scope: str) -> None:
        store = self._store(scope)
        with store.lock(name):
            store.remove(name)

    def _latest(self, con: duckdb.DuckDBPyConnection) -> AnalysisResult | None:
        row = con.execute(
            "SELECT body, meta FROM analyses ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return AnalysisResult.from_parts(json.loads(row[0]), json.loads(row[1]))

    def clusters(
        self, scope: str, dataset: str | None = None, sort: str = "score"
    ) -> list[AnalysisResult]:
        """The latest analysis of each dataset (or of `dataset`), in name order, its
        clusters ordered by `sort` (size, score, new, or a signal: see queries.ranked). A
        dataset never analysed contributes nothing; an unknown `dataset` raises
        NotFoundError."""
        store = self._store(scope)
        names = [dataset] if dataset is not None else [d.name for d in self.datasets(scope)]
        out = []
        for name in names:
            with self._open(store, name) as con:
                latest = self._latest(con)
                ref = latest_ref(con) if latest is not None and sort != "score" else None
                order = (
                    [r.cluster_id for r in ranked(cluster_rows(con, ref), sort)]
                    if ref is not None
                    else None
                )
            if latest is None:
                continue
            if order is not None:
                by_id = {c.id: c for c in latest.clusters}
                latest = replace(latest, clusters=tuple(by_id[c] for c in order if c in by_id))
            out.append(latest)
        return out

    def cluster_details(
        self, name: str, *, scope: str, limit: int | None = None
    ) -> list[ClusterDetail]:
        """The clusters of the latest analysis of dataset `name`, best first, in full (one
        pass over one file: what the summary documents are built from)."""
        store = self._store(scope)
        with self._open(store, name) as con:
            latest = self._latest(con)
            if latest is None:
                return []
            rows = con.execute(
                "SELECT cluster_id, detail FROM clusters WHERE analysis_id = ? ORDER BY rank "
                + ("" if limit is None else f"LIMIT {int(limit)}"),
                [latest.analysis_id],
            ).fetchall()
            out = []
            for cid, blob in rows:
                members = cluster_members(con, latest.analysis_id, str(cid), latest.params)
                out.append(
                    ClusterDetail.from_stored(
                        json.loads(blob), params=latest.params, members=members
                    )
                )
        return out

    def _find_cluster(self, cluster_id: str, scope: str) -> tuple[str, ClusterDetail]:
        missing = NotFoundError(f"no cluster {cluster_id!r}")
        if not isinstance(cluster_id, str) or not CLUSTER_ID.match(cluster_id):
            raise missing
        store = self._store(scope)
        best: tuple[float, str, ClusterDetail] | None = None
        for found in store.all_current():
            con = store.connect(found.path)
            try:
                row = con.execute(
                    "SELECT c.detail, a.created_at, a.analysis_id, a.meta FROM clusters c "
                    "JOIN analyses a ON a.analysis_id = c.analysis_id WHERE c.cluster_id = ? "
                    "ORDER BY a.created_at DESC LIMIT 1",
                    [cluster_id],
                ).fetchone()
                if row is not None and (best is None or float(row[1]) > best[0]):
                    params = AnalysisParams.from_json(json.loads(row[3])["params"])
                    members = cluster_members(con, str(row[2]), cluster_id, params)
                    detail = ClusterDetail.from_stored(
                        json.loads(row[0]), params=params, members=members
                    )
                    detail = replace(detail, image_matches=_image_matches(con, detail))
                    best = (float(row[1]), str(read_meta(con)["name"]), detail)
            finally:
                con.close()
        if best is None:
            raise missing
        return best[1], best[2]

    def cluster(self, cluster_id: str, *, scope: str) -> ClusterDetail:
        """One cluster in full. NotFoundError when absent or in another scope (same text)."""
        return self._find_cluster(cluster_id, scope)[1]

    def plot_cluster(self, cluster_id: str, *, scope: str, path: Path) -> Path:
        """A PNG: the cluster's posts on a timeline by account, and its network."""
        # matplotlib takes a while to import; only plots need it.
        from patterns.plots import plot_cluster  # noqa: PLC0415

        name, detail = self._find_cluster(cluster_id, scope)
        store = self._store(scope)
        with self._open(store, name) as con:
            return plot_cluster(con, detail, Path(path))

    def contact_sheet(self, cluster_id: str, *, scope: str, path: Path) -> Path | None:
        """A PNG of the cluster's most shared images (thumbnails), where they are at hand:
        None when the cluster shares no image Chorus hashed itself."""
        name, detail = self._find_cluster(cluster_id, scope)
        tops = detail.top_items.get("image", ())
        store = self._store(scope)
        with self._open(store, name) as con:
            shown = cluster_images(con, [t.value for t in tops])
        shas = {key: sha for key, sha in shown if sha is not None}
        if not shas:
            return None
        with open_cache(self.image_cache) as cache:
            thumbs = cache.thumbs(shas.values())
        tiles = [
            (thumbs[shas[t.value]], f"{t.accounts} accounts")
            for t in tops
            if t.value in shas and shas[t.value] in thumbs
        ]
        from patterns.contact_sheet import draw_contact_sheet  # noqa: PLC0415  (Pillow: sheets only)

        return draw_contact_sheet(tiles, Path(path), title=f"Cluster {cluster_id}: shared images")

    def export(
        self,
        result_or_name: AnalysisResult | str,
        *,
        scope: str,
        out_dir: Path,
        progress: Progress = no_progress,
    ) -> list[Path]:
        """clusters.json, edges.csv (evidence per edge) and graph.graphml for an analysis
        (a result, or a dataset name for its latest analysis)."""
        store = self._store(scope)
        if isinstance(result_or_name, AnalysisResult):
            name, analysis_id = result_or_name.dataset, result_or_name.analysis_id
        else:
            name, analysis_id = result_or_name, None
        with self._open(store, name) as con:
            if analysis_id is None:
                latest = self._latest(con)
                if latest is None:
                    raise NotFoundError(f"dataset {name!r} has not been analysed yet")
                analysis_id = latest.analysis_id
            return export_analysis(con, analysis_id, Path(out_dir), progress)

    def check_references(self) -> list[str]:
        """Problems with the cluster references of every dataset's latest analysis (every
        scope): each cluster listed has its stored row and exactly its size in members, and
        every member is an account of the dataset. Answers cite (dataset, analysis, cluster)
        through these rows."""
        problems: list[str] = []
        for path in all_dataset_files(self.root):
            try:
                con = connect(path, memory_limit=self.memory_limit)
            except BusyError:
                continue  # in use by a running analysis: checked next time
            try:
                latest = self._latest(con)
                if latest is None:
                    continue
                name = str(read_meta(con).get("name", path.name))
                got = dict(
                    con.execute(
                        "SELECT c.cluster_id, (SELECT count(*) FROM cluster_members m "
                        "JOIN accounts a ON a.aid = m.aid WHERE m.analysis_id = c.analysis_id "
                        "AND m.cluster_id = c.cluster_id) FROM clusters c WHERE c.analysis_id = ?",
                        [latest.analysis_id],
                    ).fetchall()
                )
                bad = [c.id for c in latest.clusters if got.get(c.id) != c.size]
                if bad or len(got) != len(latest.clusters):
                    problems.append(
                        f"dataset {name!r}: {len(bad)} of {len(latest.clusters)} clusters of its "
                        "latest analysis lack their stored members (run `chorus analyze "
                        f"{name}` again)"
                    )
            finally:
                con.close()
        return problems

    def edge_list(self, name: str, *, scope: str) -> list[tuple[str, str, float]]:
        """(account, account, weight) for every edge of the latest analysis of `name`."""
        store = self._store(scope)
        with self._open(store, name) as con:
            latest = self._latest(con)
            if latest is None:
                return []
            rows = con.execute(
                "SELECT x.account_id, y.account_id, e.weight FROM edges e "
                "JOIN accounts x ON x.aid = e.a JOIN accounts y ON y.aid = e.b "
                "WHERE e.analysis_id = ?",
                [latest.analysis_id],
            ).fetchall()
        return [(str(a), str(b), float(w)) for a, b, w in rows]
