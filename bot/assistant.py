"""The Assistant: the one façade every front end (CLI, console, Discord) calls.

It joins retrieval and patterns, applies limits and permissions, and knows about scopes:
each Discord server, each DM user and the local CLI own their sources and datasets; the
bundled demo source is readable from every scope when `shared_demo` is on.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import ChorusError, InputError, LimitError
from common.progress import Progress, no_progress
from corpus.reporting.demo import demo_document
from corpus.reporting.documents import SourceDocument

if TYPE_CHECKING:  # retrieval is imported where it is used: `chorus analyze` never needs it
    from langchain_core.language_models.chat_models import BaseChatModel

    from bot.settings import Settings
    from corpus.web.policy import FetchPolicy
    from patterns.params import AnalysisParams, EngineChoice
    from patterns.queries import AccountView
    from patterns.reader import AnalysisReader
    from patterns.results import AnalysisResult, ClusterDetail, DatasetInfo
    from patterns.service import PatternService
    from retrieval.catalog import SourceRecord
    from retrieval.citations import Answer
    from retrieval.claim_check import CheckResult
    from retrieval.doctor import DoctorReport
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library

logger = logging.getLogger(__name__)

DEMO_SCOPE = "demo"
LOCAL_SCOPE = "local"


class PermissionDenied(ChorusError):
    """The requester may not change this scope's sources or datasets."""

    exit_code = 4


@dataclass(frozen=True)
class Requester:
    """Who is asking, and for which scope. Front ends build it; the Assistant enforces it."""

    scope: str
    user: str
    can_moderate: bool = False

    @classmethod
    def local(cls, user: str = "cli") -> Requester:
        return cls(scope=LOCAL_SCOPE, user=user, can_moderate=True)


@dataclass
class IngestItem:
    target: str
    source: SourceRecord | None = None
    duplicate: bool = False
    error: str = ""


@dataclass
class IngestReport:
    items: list[IngestItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def added(self) -> list[SourceRecord]:
        return [i.source for i in self.items if i.source is not None and not i.duplicate]

    @property
    def failed(self) -> list[IngestItem]:
        return [i for i in self.items if i.error]


class Assistant:
    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: MiniLMEmbeddings | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._chat_model = chat_model
        self._library: Library | None = None
        self._lock = threading.Lock()
        self._jobs: dict[str, int] = {}
        self._patterns: PatternService | None = None
        self._reader: AnalysisReader | None = None
        self._legacy_removed = 0  # cluster summaries of an earlier version, removed on open
        self._demo_checked = False
        self._demo_lock = threading.Lock()

    # -- components ---------------------------------------------------------------------
    @property
    def library(self) -> Library:
        with self._lock:
            if self._library is None:
                from retrieval.library import Library  # noqa: PLC0415

                self._library = Library(
                    self.settings.data_dir,
                    self.settings.retrieval,
                    chroma_url=self.settings.chroma_url,
                    collection=self.settings.chroma_collection,
                    embeddings=self._embeddings,
                )
                legacy = legacy_cluster_sources(self._library.catalog.all_sources())
                if legacy:  # a data dir from an earlier version: summaries go, once
                    logger.info("removing %d legacy cluster summaries", len(legacy))
                    for source in legacy:
                        self._library.remove(source.id, scope=source.scope)
                    self._legacy_removed = len(legacy)
            return self._library

    @property
    def model_name(self) -> str:
        """What answers name as their author: the CHORUS_LLM spec, or an injected model's name."""
        if self.settings.llm or self._chat_model is None:
            return self.settings.llm
        return str(getattr(self._chat_model, "model_name", "") or type(self._chat_model).__name__)

    def chat_model(self) -> BaseChatModel | None:
        """The configured model, loaded on first use; None means extractive answers."""
        with self._lock:
            if self._chat_model is None and self.settings.llm:
                from retrieval.chat_model import load_chat_model  # noqa: PLC0415

                self._chat_model = load_chat_model(
                    self.settings.llm,
                    timeout_s=self.settings.llm_timeout_s,
                    base_url=self.settings.llm_base_url,
                )
            return self._chat_model

    def read_scopes(self, req: Requester) -> list[str]:
        if self.settings.shared_demo and req.scope != DEMO_SCOPE:
            self.ensure_demo()
            return [req.scope, DEMO_SCOPE]
        return [req.scope]

    def ensure_demo(self) -> None:
        """Add the bundled demo source once per data dir (cheap check afterwards)."""
        if self._demo_checked:
            return
        with self._demo_lock:  # concurrent first questions must not add it twice
            if self._demo_checked:
                return
            doc = demo_document()
            if self.library.find(doc.sha256, DEMO_SCOPE) is None:
                self.library.add(doc, scope=DEMO_SCOPE, added_by="chorus (bundled demo)")
            self._demo_checked = True

    @contextmanager
    def _job(self, req: Requester) -> Iterator[None]:
        """At most `max_jobs_per_scope` ingests/analyses run at once for one scope."""
        limit = self.settings.limits.max_jobs_per_scope
        with self._lock:
            if self._jobs.get(req.scope, 0) >= limit:
                raise LimitError(
                    f"{limit} job(s) already running here; try again when one finishes"
                )
            self._jobs[req.scope] = self._jobs.get(req.scope, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._jobs[req.scope] -= 1

    def _require_moderator(self, req: Requester, action: str) -> None:
        if not req.can_moderate:
            raise PermissionDenied(
                f"only moderators can {action} (Manage Server permission or the moderator role)"
            )

    def _validate(self, text: str, what: str) -> str:
        text = text.strip()
        if not text:
            raise InputError(f"the {what} is empty")
        limit = self.settings.limits.max_question_chars
        if len(text) > limit:
            raise LimitError(f"the {what} is {len(text):,} characters; the limit is {limit:,}")
        return text

    # -- reporting sources ----------------------------------------------------------------
    def fetch_policy(self) -> FetchPolicy:
        from corpus.web.policy import FetchPolicy  # noqa: PLC0415 - loaders import heavy parsers

        limits = self.settings.limits
        return FetchPolicy(
            allow_private=self.settings.allow_private_urls,
            timeout_s=limits.url_timeout_s,
            max_bytes=limits.max_source_bytes,
            max_redirects=limits.url_max_redirects,
            allowed_networks=self.settings.allowed_url_networks,
        )

    def ingest(
        self,
        targets: Sequence[str],
        req: Requester,
        *,
        title: str | None = None,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> IngestReport:
        """Add files, folders and URLs; each source is all-or-nothing, failures are reported.

        Content this scope already holds is reported as that source, unless `force`."""
        # Loaders pull in HTML/PDF/HTTP libraries: imported here so questions start fast.
        from corpus.reporting.load import collect_files, load_file  # noqa: PLC0415
        from corpus.web.fetch import fetch_url, is_url  # noqa: PLC0415

        self._require_moderator(req, "add sources")
        with self._job(req):
            report = IngestReport()
            loaders: list[tuple[str, Path | None]] = []
            for target in targets:
                if is_url(target):
                    loaders.append((target, None))
                    continue
                files, skipped = collect_files(
                    [Path(target)], max_files=self.settings.limits.max_files_per_ingest
                )
                loaders.extend((str(f), f) for f in files)
                report.skipped.extend((str(p), why) for p, why in skipped)
            if title and len(loaders) > 1:
                raise InputError("--title applies to a single file or URL, not to several")
            # Loaded documents are stored a few at a time, so small files share vector writes.
            pending: list[tuple[IngestItem, SourceDocument]] = []
            for done, (target, path) in enumerate(loaders):
                progress("ingesting", done, len(loaders))
                item = IngestItem(target)
                report.items.append(item)
                try:
                    if path is None:
                        doc = fetch_url(target, self.fetch_policy(), title=title)
                    else:
                        doc = load_file(
                            path, max_bytes=self.settings.limits.max_source_bytes, title=title
                        )
                except ChorusError as exc:
                    item.error = str(exc)
                    continue
                pending.append((item, doc))
                if sum(len(d.text) for _, d in pending) >= STORE_BATCH_CHARS:
                    self._store(pending, req, force=force)
                    pending = []
            self._store(pending, req, force=force)
            progress("ingesting", len(loaders), len(loaders))
            return report

    def _store(
        self,
        pending: Sequence[tuple[IngestItem, SourceDocument]],
        req: Requester,
        *,
        force: bool = False,
    ) -> None:
        results = self.library.add_many(
            [doc for _, doc in pending], scope=req.scope, added_by=req.user, force=force
        )
        for (item, _), result in zip(pending, results, strict=True):
            if isinstance(result, ChorusError):
                item.error = str(result)
            else:
                item.source, item.duplicate = result.source, result.duplicate

    def ingest_url(
        self,
        url: str,
        req: Requester,
        *,
        title: str | None = None,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> IngestItem:
        """One URL from an untrusted front end (Discord): never a path on this machine."""
        from corpus.web.fetch import is_url  # noqa: PLC0415

        self._require_moderator(req, "add sources")
        if not is_url(url):
            raise InputError("only web addresses (http:// or https://) can be added from here")
        report = self.ingest([url.strip()], req, title=title, progress=progress, force=force)
        return report.items[0]

    def add_document(
        self,
        doc: SourceDocument,
        req: Requester,
        *,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> IngestItem:
        self._require_moderator(req, "add sources")
        with self._job(req):
            result = self.library.add(
                doc, scope=req.scope, added_by=req.user, progress=progress, force=force
            )
            return IngestItem(doc.origin, result.source, result.duplicate)

    def ingest_text(
        self,
        text: str,
        title: str,
        req: Requester,
        *,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> IngestItem:
        from corpus.reporting.load import load_text  # noqa: PLC0415

        return self.add_document(load_text(text, title=title), req, progress=progress, force=force)

    def ingest_bytes(
        self,
        data: bytes,
        filename: str,
        req: Requester,
        *,
        title: str | None = None,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> IngestItem:
        from corpus.reporting.load import load_bytes  # noqa: PLC0415

        doc = load_bytes(
            data, filename=filename, max_bytes=self.settings.limits.max_source_bytes, title=title
        )
        return self.add_document(doc, req, progress=progress, force=force)

    def sources(self, req: Requester) -> list[SourceRecord]:
        return self.library.sources(self.read_scopes(req))

    def remove_source(self, source_id: str, req: Requester) -> SourceRecord:
        self._require_moderator(req, "remove sources")
        if req.scope != DEMO_SCOPE and source_id.strip() in {
            s.id for s in self.library.sources([DEMO_SCOPE])
        }:
            raise PermissionDenied(
                f"{source_id.strip()} is the built-in demo source, shared by every server; it "
                "cannot be removed here (CHORUS_SHARED_DEMO=false hides it everywhere)"
            )
        return self.library.remove(source_id, scope=req.scope)

    def reindex(self, req: Requester, progress: Progress = no_progress) -> int:
        self._require_moderator(req, "rebuild the index")
        if req.scope != LOCAL_SCOPE:
            raise PermissionDenied("the index can only be rebuilt from the command line")
        return self.library.reindex(progress)

    def doctor(self, *, repair: bool = True, progress: Progress = no_progress) -> DoctorReport:
        """Catalog against vector index, then what an earlier version left in the catalog
        (cluster summaries), then each stored analysis' cluster references."""
        from retrieval.doctor import diagnose  # noqa: PLC0415

        report = diagnose(self.library, repair=repair, progress=progress)
        if self._legacy_removed:
            report.repairs.append(
                f"removed {self._legacy_removed} cluster summaries an earlier version had "
                "indexed as sources"
            )
            self._legacy_removed = 0
        legacy = legacy_cluster_sources(self.library.catalog.all_sources())
        if legacy:
            report.problems.append(
                f"{len(legacy)} cluster summaries indexed as sources by an earlier version "
                "(questions about clusters are now answered from the analysis itself)"
            )
            if repair:
                for source in legacy:
                    self.library.remove(source.id, scope=source.scope)
                report.repairs.append(f"removed {len(legacy)} cluster summaries from the catalog")
        for problem in self.patterns.check_references():
            report.problems.append(problem)
        return report

    def ask(
        self, question: str, req: Requester, *, history: tuple[str, str] | None = None
    ) -> Answer:
        question = self._validate(question, "question")
        coordination = self.ask_analysis(question, req)
        if coordination is not None:
            return coordination
        model = self.chat_model()
        return self.library.ask(
            question,
            self.read_scopes(req),
            model=model,
            model_name=self.model_name,
            history=history,
        )

    def ask_analysis(self, question: str, req: Requester) -> Answer | None:
        """The answer from this scope's stored analyses, or None when the question is not
        about them (then reporting answers it). Datasets are never shared between scopes."""
        datasets = self.settings.data_dir / "datasets"
        if not datasets.is_dir() or not any(datasets.iterdir()):
            return None  # nothing analysed here: no need to load the engine
        from bot.coordination import CoordinationAnswerer  # noqa: PLC0415 - DuckDB

        return CoordinationAnswerer(self.reader).answer(question, req.scope)

    def check(self, claim: str, req: Requester) -> CheckResult:
        claim = self._validate(claim, "claim")
        model = self.chat_model()
        return self.library.check(
            claim, self.read_scopes(req), model=model, model_name=self.model_name
        )

    # -- post datasets and coordination clusters -------------------------------------------
    @property
    def patterns(self) -> PatternService:
        with self._lock:
            if self._patterns is None:
                from corpus.posts.image_sources import ImageLimits  # noqa: PLC0415
                from corpus.web.policy import FetchPolicy  # noqa: PLC0415
                from patterns.service import PatternService  # noqa: PLC0415 - DuckDB, igraph

                limits = self.settings.limits
                images = self.settings.images
                self._patterns = PatternService(
                    self.settings.data_dir / "datasets",
                    self.settings.analysis,
                    max_rows=limits.max_dataset_rows,
                    max_bytes=limits.max_dataset_bytes,
                    max_field_chars=limits.max_field_chars,
                    max_columns=limits.max_columns,
                    max_items_per_post=limits.max_items_per_post,
                    max_unpack_ratio=limits.max_unpack_ratio,
                    memory_limit=limits.analysis_memory,
                    temp_dir=limits.analysis_temp_dir,
                    images=ImageLimits(
                        fetch=images.fetch,
                        max_image_bytes=images.max_image_bytes,
                        max_total_bytes=images.max_total_bytes,
                        max_pixels=images.max_pixels,
                        max_images=images.max_images,
                        concurrency=images.concurrency,
                    ),
                    image_cache=self.settings.data_dir / "images" / "cache.sqlite",
                    fetch_policy=FetchPolicy(
                        allow_private=self.settings.allow_private_urls,
                        timeout_s=images.timeout_s,
                        max_bytes=images.max_image_bytes,
                        max_redirects=limits.url_max_redirects,
                        allowed_networks=self.settings.allowed_url_networks,
                    ),
                )
            return self._patterns

    @property
    def reader(self) -> AnalysisReader:
        """Stored analyses, read for questions without loading the engine."""
        with self._lock:
            if self._reader is None:
                from patterns.reader import AnalysisReader  # noqa: PLC0415 - DuckDB

                self._reader = AnalysisReader(self.settings.data_dir / "datasets")
            return self._reader

    def close(self) -> None:
        """Let go of open dataset files (they are locked against other processes)."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()

    def analysis_params(self, **overrides: Any) -> AnalysisParams:
        """The settings' defaults with per-run overrides (None keeps the default)."""
        return self.patterns.params(**overrides)

    def analysis_engine(
        self,
        name: str | None = None,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        shared_dir: str | None = None,
    ) -> EngineChoice:
        """Where pairing runs: the settings' choice with per-run overrides."""
        return self.patterns.engine(
            name, scheduler=scheduler, workers=workers, shared_dir=shared_dir
        )

    def analyze(
        self,
        target: str,
        req: Requester,
        *,
        name: str | None = None,
        mapping: dict[str, str] | None = None,
        params: AnalysisParams | None = None,
        strict: bool = False,
        progress: Progress = no_progress,
        fetch_images: bool | None = None,
        files_beside: bool = True,
        engine: EngineChoice | None = None,
    ) -> AnalysisResult:
        """Analyse a dataset file (loaded once, reused while unchanged) or a stored dataset.
        A zip holding a dataset file and its media is read as that file. `engine`: where
        pairing runs (default: the settings')."""
        self._require_moderator(req, "add or analyse datasets")
        with self._job(req):
            path = Path(target)
            if path.is_file():
                result = self.patterns.analyze_file(
                    path,
                    scope=req.scope,
                    name=name,
                    mapping=mapping,
                    params=params,
                    strict=strict,
                    progress=progress,
                    fetch_images=fetch_images,
                    files_beside=files_beside,
                    engine=engine,
                )
            elif path.exists():
                raise InputError(f"{target} is not a file (give a CSV, JSON Lines or Parquet file)")
            elif mapping:
                raise InputError(f"no file {target}; --map applies when a file is loaded")
            elif _looks_like_a_file(target) and not self._has_dataset(name or target, req):
                raise InputError(f"{target}: no such file (and no stored dataset by that name)")
            else:  # a stored dataset, analysed again with other parameters
                result = self.patterns.analyze_dataset(
                    name or target, scope=req.scope, params=params, progress=progress, engine=engine
                )
            return result

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
        from corpus.reporting.load import safe_filename  # noqa: PLC0415
        from patterns.store import default_name  # noqa: PLC0415

        self._require_moderator(req, "add datasets")
        limit = self.settings.limits.max_dataset_bytes
        if len(data) > limit:
            raise LimitError(
                f"{safe_filename(filename)}: {len(data):,} bytes; the limit is {limit:,}"
            )
        label = safe_filename(filename)
        suffix = "".join(Path(label).suffixes[-2:]).lower()
        if Path(label).suffix.lower() == ".zip":
            suffix = ".zip"  # a dataset file and its media
        elif suffix.removesuffix(".gz") not in DATASET_SUFFIXES:
            raise InputError(
                f"{label}: not a dataset file; send CSV, TSV, JSON Lines, JSON or Parquet "
                f"({', '.join(sorted(DATASET_SUFFIXES))}, optionally gzipped), or a zip "
                "of one of them and its image files"
            )
        uploads = self.settings.data_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        # A private folder of our own naming; inside it the file carries the cleaned label
        # (never a path: safe_filename keeps the last part only), so messages name the
        # upload, not a temporary file.
        with tempfile.TemporaryDirectory(dir=uploads) as folder:
            tmp = Path(folder) / label
            tmp.write_bytes(data)
            # Image files come only from inside a zip: the upload folder is not the user's.
            return self.analyze(
                str(tmp),
                req,
                name=name or default_name(Path(label)),
                progress=progress,
                files_beside=False,
            )

    def _has_dataset(self, name: str, req: Requester) -> bool:
        return any(d.name == name for d in self.patterns.datasets(req.scope))

    def datasets(self, req: Requester) -> list[DatasetInfo]:
        return self.patterns.datasets(req.scope)

    def remove_dataset(self, name: str, req: Requester) -> None:
        self._require_moderator(req, "remove datasets")
        self.patterns.remove_dataset(name, scope=req.scope)

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
        return self.patterns.clusters(req.scope, dataset, sort=sort)

    def account(self, name: str, req: Requester, dataset: str | None = None) -> list[AccountView]:
        """An account's clusters, strongest ties (with the items and times) and account
        date, in each dataset that has an account by that exact name."""
        name = self._validate(name, "account name")
        return self.reader.accounts(name, scope=req.scope, dataset=dataset)

    def cluster(self, cluster_id: str, req: Requester) -> ClusterDetail:
        return self.patterns.cluster(cluster_id, scope=req.scope)

    def plot_cluster(self, cluster_id: str, req: Requester, path: Path) -> list[Path]:
        """The cluster's timeline-and-network picture, written at `path`, and a contact
        sheet of its most shared images beside it (`NAME-images.png`) where they are at
        hand."""
        out = [self.patterns.plot_cluster(cluster_id, scope=req.scope, path=path)]
        sheet = self.patterns.contact_sheet(
            cluster_id, scope=req.scope, path=path.with_name(f"{path.stem}-images.png")
        )
        if sheet is not None:
            out.append(sheet)
        return out

    def export(
        self,
        result: AnalysisResult,
        req: Requester,
        out_dir: Path,
        progress: Progress = no_progress,
    ) -> list[Path]:
        return self.patterns.export(result, scope=req.scope, out_dir=out_dir, progress=progress)


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


# Text per batch of documents stored together (about 64 chunks of the default size).
STORE_BATCH_CHARS = 48_000
DATASET_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet"})


# Earlier versions indexed a prose summary per top cluster as a reporting source, with
# this origin and title; they crowded reporting out of answers and are removed on sight.
LEGACY_CLUSTER_ORIGIN = "chorus:dataset/"
LEGACY_CLUSTER_TITLE = "Coordination cluster "


def _looks_like_a_file(target: str) -> bool:
    """A path (a folder in it, or a file suffix), not a stored dataset's name."""
    return "/" in target or "\\" in target or bool(Path(target).suffix)


def legacy_cluster_sources(sources: Sequence[SourceRecord]) -> list[SourceRecord]:
    """The cluster summaries an earlier version indexed (origin and title both match)."""
    return [
        s
        for s in sources
        if s.url.startswith(LEGACY_CLUSTER_ORIGIN) and s.title.startswith(LEGACY_CLUSTER_TITLE)
    ]
