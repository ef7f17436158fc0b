"""PatternService: the API front ends call. Loads post datasets, analyses them, and answers
for stored datasets and clusters, always inside one scope (tenant).

A name or cluster id from another scope fails exactly like a missing one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from common.errors import LimitError, NotFoundError
from common.progress import Progress, no_progress
from corpus.posts.dataset_zip import is_zip
from corpus.posts.image_cache import open_cache
from corpus.posts.image_sources import ImageLimits
from corpus.posts.load import LoadReport, PostLimits
from corpus.posts.media import MediaFolder
from corpus.web.policy import FetchPolicy
from patterns.dataset_loading import DatasetLoader, digest
from patterns.engine import run_analysis, save_analysis
from patterns.exports import export_analysis
from patterns.nearimage import cluster_images
from patterns.params import AnalysisConfig, AnalysisParams, EngineChoice
from patterns.queries import cluster_rows, latest_ref, ranked
from patterns.results import AnalysisResult, ClusterDetail, DatasetInfo
from patterns.store import (
    MEMORY_LIMIT,
    ScopeStore,
    check_name,
    default_name,
    ensure_schema,
    read_meta,
)
from patterns.stored_analyses import (
    cluster_details,
    find_cluster,
    latest_analysis,
    reference_problems,
)

logger = logging.getLogger(__name__)

DAY = 86_400.0


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
        self.loader = DatasetLoader(self.limits, self.images, self.image_cache, self.fetch_policy)

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
            self.loader.check_size(path)
            sha: str | None = None
            reused = False
            held: str | None = None  # the file a dataset of this name was loaded from
            if store.current(name) is not None:  # only then is the digest needed up front
                sha = digest(path)
                media = MediaFolder(path.parent) if files_beside and not is_zip(path) else None
                with self._open(store, name) as con:
                    meta = read_meta(con)
                    held = meta.get("path")
                    reused = self.loader.reusable(
                        con,
                        meta,
                        sha=sha,
                        mapping=mapping,
                        strict=strict,
                        fetch=fetch,
                        media=media,
                    )
            if not reused:
                self.loader.load(
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

    def latest_analyses(
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
                latest = latest_analysis(con)
                ref = latest_ref(con) if latest is not None and sort != "score" else None
                rows = ranked(cluster_rows(con, ref), sort) if ref is not None else None
            if latest is None:
                continue
            if rows is not None:
                by_id = {c.id: c for c in latest.clusters}
                latest = replace(
                    latest,
                    clusters=tuple(by_id[r.cluster_id] for r in rows if r.cluster_id in by_id),
                    new_shares=(
                        {r.cluster_id: (r.new_accounts, r.with_dates) for r in rows}
                        if sort == "new"
                        else {}
                    ),
                )
            out.append(latest)
        return out

    def cluster_details(
        self, name: str, *, scope: str, limit: int | None = None
    ) -> list[ClusterDetail]:
        """The clusters of the latest analysis of dataset `name`, best first, in full (one
        pass over one file: what the summary documents are built from)."""
        store = self._store(scope)
        with self._open(store, name) as con:
            return cluster_details(con, limit)

    def cluster(self, cluster_id: str, *, scope: str) -> ClusterDetail:
        """One cluster in full. NotFoundError when absent or in another scope (same text)."""
        return find_cluster(self._store(scope), cluster_id)[1]

    def plot_cluster(self, cluster_id: str, *, scope: str, path: Path) -> Path:
        """A PNG: the cluster's posts on a timeline by account, and its network."""
        # matplotlib takes a while to import; only plots need it.
        from patterns.plots import plot_cluster  # noqa: PLC0415

        name, detail = find_cluster(self._store(scope), cluster_id)
        store = self._store(scope)
        with self._open(store, name) as con:
            return plot_cluster(con, detail, Path(path))

    def contact_sheet(self, cluster_id: str, *, scope: str, path: Path) -> Path | None:
        """A PNG of the cluster's most shared images (thumbnails), where they are at hand:
        None when the cluster shares no image Chorus hashed itself."""
        name, detail = find_cluster(self._store(scope), cluster_id)
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
                latest = latest_analysis(con)
                if latest is None:
                    raise NotFoundError(f"dataset {name!r} has not been analysed yet")
                analysis_id = latest.analysis_id
            return export_analysis(con, analysis_id, Path(out_dir), progress)

    def check_references(self) -> list[str]:
        """Problems with the cluster references of every dataset's latest analysis (every
        scope): each cluster listed has its stored row and exactly its size in members, and
        every member is an account of the dataset. Answers cite (dataset, analysis, cluster)
        through these rows."""
        return reference_problems(self.root, self.memory_limit)
