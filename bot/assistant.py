"""The Assistant: the one façade every front end (CLI, console, Discord) calls.

It joins retrieval and patterns, applies limits and permissions, and knows about scopes
(bot/access.py). Each concern is a small collaborator; the Assistant only delegates:

- `Components` (bot/components.py): the library, chat model, pattern service and reader,
  each built on first use;
- `Scopes` and the moderation rule (bot/access.py);
- `JobSlots` (bot/jobs.py): at most so many ingests or analyses at once per scope;
- `Ingester` (bot/ingest.py): files, folders and URLs loaded and stored in batches;
- `Analyses` (bot/analyses.py) with dataset uploads (bot/uploads.py);
- `AnalysisBridge` (bot/analysis_bridge.py): questions about analyses, and the cluster
  summaries an earlier version indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from bot.access import (
    DEMO_SCOPE,
    LOCAL_SCOPE,
    PermissionDenied,
    Requester,
    Scopes,
    checked_text,
    require_moderator,
)
from bot.analyses import Analyses, AnalyzeOptions, UploadOptions
from bot.analysis_bridge import AnalysisBridge
from bot.components import Components
from bot.ingest import Ingester, IngestItem, IngestReport, SourceOptions, StoreOptions
from bot.jobs import JobSlots
from common.progress import Progress, no_progress

if TYPE_CHECKING:  # retrieval is imported where it is used: `chorus analyze` never needs it
    from langchain_core.language_models.chat_models import BaseChatModel

    from bot.settings import Settings
    from patterns.params import AnalysisParams, EngineChoice
    from patterns.queries import AccountView
    from patterns.reader import AnalysisReader
    from patterns.results import AnalysisResult, ClusterDetail, ClusterListing, DatasetInfo
    from patterns.service import PatternService
    from retrieval.catalog_records import SourceRecord
    from retrieval.citations import Answer
    from retrieval.claim_check import CheckResult
    from retrieval.doctor import DoctorReport
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library

# The façade's vocabulary: front ends build Requesters and read these results.
__all__ = [
    "DEMO_SCOPE",
    "LOCAL_SCOPE",
    "Assistant",
    "IngestItem",
    "IngestReport",
    "PermissionDenied",
    "Requester",
]


class Assistant:
    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: MiniLMEmbeddings | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._bridge = AnalysisBridge()
        self._parts = Components(
            settings,
            embeddings=embeddings,
            chat_model=chat_model,
            on_library_open=self._bridge.on_library_open,
        )
        self._bridge.attach(self._parts)
        jobs = JobSlots(settings.limits.max_jobs_per_scope)
        self._scopes = Scopes(self._parts)
        self._ingester = Ingester(self._parts, jobs)
        self._analyses = Analyses(self._parts, jobs)

    # -- components ---------------------------------------------------------------------
    @property
    def library(self) -> Library:
        return self._parts.library

    @property
    def patterns(self) -> PatternService:
        return self._parts.patterns

    @property
    def reader(self) -> AnalysisReader:
        """Stored analyses, read for questions without loading the engine."""
        return self._parts.reader

    def close(self) -> None:
        self._parts.close()

    def read_scopes(self, req: Requester) -> list[str]:
        return self._scopes.read_scopes(req)

    def ensure_demo(self) -> None:
        self._scopes.ensure_demo()

    def _checked(self, text: str, what: str) -> str:
        return checked_text(text, self.settings.limits.max_question_chars, what)

    # -- reporting sources ----------------------------------------------------------------
    def ingest(
        self, targets: Sequence[str], req: Requester, **options: Unpack[SourceOptions]
    ) -> IngestReport:
        """Add files, folders and URLs; each source is all-or-nothing, failures are reported."""
        return self._ingester.ingest(targets, req, **options)

    def ingest_url(self, url: str, req: Requester, **options: Unpack[SourceOptions]) -> IngestItem:
        """One URL from an untrusted front end (Discord): never a path on this machine."""
        return self._ingester.ingest_url(url, req, **options)

    def ingest_text(
        self, text: str, title: str, req: Requester, **options: Unpack[StoreOptions]
    ) -> IngestItem:
        return self._ingester.ingest_text(text, title, req, **options)

    def ingest_bytes(
        self, data: bytes, filename: str, req: Requester, **options: Unpack[SourceOptions]
    ) -> IngestItem:
        return self._ingester.ingest_bytes(data, filename, req, **options)

    def sources(self, req: Requester) -> list[SourceRecord]:
        return self.library.sources(self.read_scopes(req))

    def remove_source(self, source_id: str, req: Requester) -> SourceRecord:
        self._scopes.check_removable(source_id, req)
        return self.library.remove(source_id, scope=req.scope)

    def reindex(self, req: Requester, progress: Progress = no_progress) -> int:
        self._scopes.check_can_reindex(req)
        return self.library.reindex(progress)

    def doctor(self, *, repair: bool = True, progress: Progress = no_progress) -> DoctorReport:
        """Catalog against vector index, then what an earlier version left in the catalog
        (cluster summaries), then each stored analysis' cluster references; and whether
        CHORUS_LLM names a provider whose package is installed."""
        from retrieval.chat_model import spec_problem  # noqa: PLC0415
        from retrieval.doctor import diagnose  # noqa: PLC0415

        report = diagnose(self.library, repair=repair, progress=progress)
        llm = spec_problem(self.settings.llm)
        report.setting_problems += [llm] if llm else []
        self._bridge.doctor(report, repair=repair)
        return report

    def ask(
        self, question: str, req: Requester, *, history: tuple[str, str] | None = None
    ) -> Answer:
        question = self._checked(question, "question")
        dataset = self._bridge.ask_analysis(question, req)
        if dataset is not None and dataset.route == "dataset":
            return dataset.answer
        reporting = self.library.ask(
            question,
            self.read_scopes(req),
            model=self._parts.chat_model(),
            model_name=self._parts.model_name,
            history=history,
        )
        if dataset is not None and dataset.route == "reporting_only":
            # "Who paid for #X?": the reporting alone, with the note of what datasets hold.
            reporting = replace(reporting, notes=[*reporting.notes, *dataset.answer.notes])
            dataset = None
        if dataset is None:
            return reporting
        if dataset.route == "either":  # "Who is behind #X?": only reporting that says who
            from retrieval.attribution import who_is_behind  # noqa: PLC0415

            reporting, silent = who_is_behind(question, reporting)
            if silent is not None:
                return replace(dataset.answer, notes=[*dataset.answer.notes, silent])
        if reporting.refused:  # the one that has an answer; "no post has #X" is one to "#X?"
            return dataset.answer if dataset.found or dataset.route == "either" else reporting
        if dataset.found and dataset.route == "either":  # "Who is behind #X?": what each holds
            from retrieval.citations import join_answers  # noqa: PLC0415

            return join_answers(dataset.answer, reporting)
        return reporting  # a fact about the item, which the reporting holds

    def check(self, claim: str, req: Requester) -> CheckResult:
        claim = self._checked(claim, "claim")
        return self.library.check(
            claim,
            self.read_scopes(req),
            model=self._parts.chat_model(),
            model_name=self._parts.model_name,
        )

    # -- post datasets and coordination clusters -------------------------------------------
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
        self, target: str, req: Requester, **options: Unpack[AnalyzeOptions]
    ) -> AnalysisResult:
        """Analyse a dataset file (loaded once, reused while unchanged) or a stored dataset."""
        return self._analyses.analyze(target, req, **options)

    def analyze_upload(
        self, data: bytes, filename: str, req: Requester, **options: Unpack[UploadOptions]
    ) -> AnalysisResult:
        """A dataset sent as bytes (a Discord attachment): the file name is only a label."""
        return self._analyses.analyze_upload(data, filename, req, **options)

    def datasets(self, req: Requester) -> list[DatasetInfo]:
        return self.patterns.datasets(req.scope)

    def remove_dataset(self, name: str, req: Requester) -> None:
        require_moderator(req, "remove datasets")
        self.patterns.remove_dataset(name, scope=req.scope)

    def clusters(
        self,
        req: Requester,
        dataset: str | None = None,
        *,
        sort: str = "score",
        limit: int | None = None,
    ) -> ClusterListing:
        return self._analyses.clusters(req, dataset, sort=sort, limit=limit)

    def ranked_clusters(
        self, req: Requester, dataset: str | None = None, *, sort: str = "score"
    ) -> list[AnalysisResult]:
        return self._analyses.ranked_clusters(req, dataset, sort=sort)

    def account(self, name: str, req: Requester, dataset: str | None = None) -> list[AccountView]:
        """An account's clusters, strongest ties (with the items and times) and account
        date, in each dataset that has an account by that exact name."""
        name = self._checked(name, "account name")
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
