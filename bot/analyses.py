"""Post datasets for the Assistant: analyse a file, an upload or a stored dataset (one job
slot each), and list clusters across a scope's datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from bot.access import Requester, require_moderator
from bot.uploads import held_upload, upload_label
from common.errors import Hint, InputError
from common.progress import Progress, no_progress

if TYPE_CHECKING:
    from bot.components import Components
    from bot.jobs import JobSlots
    from patterns.params import AnalysisParams, EngineChoice
    from patterns.results import AnalysisResult


class AnalyzeOptions(TypedDict, total=False):
    """How a dataset is analysed (`Analyses.analyze` says what each does)."""

    name: str | None
    mapping: dict[str, str] | None
    params: AnalysisParams | None
    strict: bool
    progress: Progress
    fetch_images: bool | None
    files_beside: bool
    engine: EngineChoice | None


class UploadOptions(TypedDict, total=False):
    name: str | None  # the dataset's name (default: from the file name)
    progress: Progress


class Analyses:
    def __init__(self, components: Components, jobs: JobSlots) -> None:
        self._components = components
        self._jobs = jobs

    def analyze(
        self, target: str, req: Requester, **options: Unpack[AnalyzeOptions]
    ) -> AnalysisResult:
        """Analyse a dataset file (loaded once, reused while unchanged) or a stored dataset.
        A zip holding a dataset file and its media is read as that file. `engine`: where
        pairing runs (default: the settings')."""
        require_moderator(req, "add or analyse datasets")
        with self._jobs.slot(req.scope):
            patterns = self._components.patterns
            path = Path(target)
            if path.is_file():
                return patterns.analyze_file(path, scope=req.scope, **options)
            if path.exists():
                raise InputError(f"{target} is not a file (give a CSV, JSON Lines or Parquet file)")
            if options.get("mapping"):
                raise InputError(
                    f"no file {target}; ", Hint.option("map"), " applies when a file is loaded"
                )
            name = options.get("name") or target
            if _looks_like_a_file(target) and not self.has_dataset(name, req):
                raise InputError(f"{target}: no such file (and no stored dataset by that name)")
            # a stored dataset, analysed again with other parameters
            return patterns.analyze_dataset(
                name,
                scope=req.scope,
                params=options.get("params"),
                progress=options.get("progress", no_progress),
                engine=options.get("engine"),
            )

    def analyze_upload(
        self,
        data: bytes,
        filename: str,
        req: Requester,
        *,
        name: str | None = None,
        progress: Progress = no_progress,
    ) -> AnalysisResult:
        """A dataset sent as bytes (a Discord attachment): the file name is only a label."""
        from patterns.store import default_name  # noqa: PLC0415

        require_moderator(req, "add datasets")
        settings = self._components.settings
        label = upload_label(filename, len(data), settings.limits.max_dataset_bytes)
        with held_upload(data, label, settings.data_dir / "uploads") as path:
            # Image files come only from inside a zip: the upload folder is not the user's.
            return self.analyze(
                str(path),
                req,
                name=name or default_name(Path(label)),
                progress=progress,
                files_beside=False,
            )

    def has_dataset(self, name: str, req: Requester) -> bool:
        return any(d.name == name for d in self._components.patterns.datasets(req.scope))

    def clusters(
        self,
        req: Requester,
        dataset: str | None = None,
        *,
        sort: str = "score",
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Clusters found so far, ordered by `sort` (size, score, new, or a signal): the
        DESIGN.md `clusters` JSON shape, at most `limit` clusters.

        With several datasets, "dataset" is null, posts and accounts are totals, and each
        cluster says which dataset it belongs to.
        """
        results = self.ranked_clusters(req, dataset, sort=sort)
        if len(results) == 1:
            data = results[0].to_json()
            data["clusters"] = data["clusters"][:limit]
            return data
        merged = []
        for result in results:
            for rank, cluster in enumerate(result.to_json()["clusters"]):
                merged.append(({**cluster, "dataset": result.dataset}, rank))
        merged.sort(key=lambda cr: (*_merge_key(cr[0], cr[1], sort), str(cr[0]["id"])))
        return {
            "dataset": None,
            "posts": sum(r.posts for r in results),
            "accounts": sum(r.accounts for r in results),
            "clusters": [c for c, _ in merged][:limit],
        }

    def ranked_clusters(
        self, req: Requester, dataset: str | None = None, *, sort: str = "score"
    ) -> list[AnalysisResult]:
        """The latest analysis of each dataset, its clusters ordered by `sort`."""
        from patterns.config import ALL_SIGNALS  # noqa: PLC0415
        from patterns.queries import SORTS  # noqa: PLC0415

        if sort not in SORTS and sort not in ALL_SIGNALS:
            raise InputError(
                f"unknown sort {sort!r}; choose one of {', '.join((*SORTS, *ALL_SIGNALS))}"
            )
        return self._components.patterns.clusters(req.scope, dataset, sort=sort)


def _merge_key(cluster: dict[str, Any], rank: int, sort: str) -> tuple[float, int]:
    """Several datasets' clusters in one list: by the measure where the JSON carries it,
    else (the new-account share) by rank within each dataset."""
    if sort == "size":
        return (-float(cluster["size"]), rank)
    if sort == "score":
        return (-float(cluster["score"]), rank)
    if sort == "new":
        return (float(rank), 0)
    return (-float(cluster["signals"].get(sort, 0)), rank)


def _looks_like_a_file(target: str) -> bool:
    """A path (a folder in it, or a file suffix), not a stored dataset's name."""
    return "/" in target or "\\" in target or bool(Path(target).suffix)
