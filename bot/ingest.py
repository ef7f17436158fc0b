"""Adding reporting sources: files, folders and URLs loaded one by one, stored in batches;
each source is all-or-nothing and every failure is reported with its target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from bot.access import Requester, require_moderator
from common.errors import ChorusError, Hint, InputError
from common.progress import Progress, no_progress

if TYPE_CHECKING:
    from bot.components import Components
    from bot.jobs import JobSlots
    from corpus.reporting.documents import SourceDocument
    from retrieval.catalog_records import SourceRecord

# Text per batch of documents stored together (about 64 chunks of the default size).
STORE_BATCH_CHARS = 48_000


class StoreOptions(TypedDict, total=False):
    """How a source is stored: progress callback, and `force` to store a second copy."""

    progress: Progress
    force: bool


class SourceOptions(StoreOptions, total=False):
    title: str | None  # a title for a single file or URL


@dataclass
class IngestItem:
    target: str
    source: SourceRecord | None = None
    duplicate: bool = False
    error: ChorusError | None = None  # worded by each front end (it may carry hints)


@dataclass
class IngestReport:
    items: list[IngestItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def added(self) -> list[SourceRecord]:
        return [i.source for i in self.items if i.source is not None and not i.duplicate]

    @property
    def failed(self) -> list[IngestItem]:
        return [i for i in self.items if i.error is not None]


class Ingester:
    def __init__(self, components: Components, jobs: JobSlots) -> None:
        self._components = components
        self._jobs = jobs

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
        from corpus.reporting.load import (  # noqa: PLC0415
            EmptySourceError,
            collect_files,
            load_file,
        )
        from corpus.web.fetch import fetch_url, is_url  # noqa: PLC0415

        require_moderator(req, "add sources")
        limits = self._components.settings.limits
        with self._jobs.slot(req.scope):
            report = IngestReport()
            loaders: list[tuple[str, Path | None]] = []
            in_folder: set[str] = set()  # files found by walking a folder, not named
            for target in targets:
                if is_url(target):
                    loaders.append((target, None))
                    continue
                files, skipped = collect_files(
                    [Path(target)], max_files=limits.max_files_per_ingest
                )
                loaders.extend((str(f), f) for f in files)
                if Path(target).is_dir():
                    in_folder.update(str(f) for f in files)
                report.skipped.extend((str(p), why) for p, why in skipped)
            if title and len(loaders) > 1:
                raise InputError(
                    Hint.option("title"), " applies to a single file or URL, not to several"
                )
            # Loaded documents are stored a few at a time, so small files share vector writes.
            pending: list[tuple[IngestItem, SourceDocument]] = []
            for done, (target, path) in enumerate(loaders):
                progress("ingesting", done, len(loaders))
                item = IngestItem(target)
                try:
                    if path is None:
                        policy = self._components.source_fetch_policy()
                        doc = fetch_url(target, policy, title=title)
                    else:
                        doc = load_file(path, max_bytes=limits.max_source_bytes, title=title)
                except EmptySourceError as exc:
                    if target in in_folder:
                        report.skipped.append((target, "empty"))
                    else:
                        report.items.append(item)
                        item.error = exc
                    continue
                except ChorusError as exc:
                    report.items.append(item)
                    item.error = exc
                    continue
                report.items.append(item)
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
        results = self._components.library.add_many(
            [doc for _, doc in pending], scope=req.scope, added_by=req.user, force=force
        )
        for (item, _), result in zip(pending, results, strict=True):
            if isinstance(result, ChorusError):
                item.error = result
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

        require_moderator(req, "add sources")
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
        require_moderator(req, "add sources")
        with self._jobs.slot(req.scope):
            result = self._components.library.add(
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

        max_bytes = self._components.settings.limits.max_source_bytes
        doc = load_bytes(data, filename=filename, max_bytes=max_bytes, title=title)
        return self.add_document(doc, req, progress=progress, force=force)
