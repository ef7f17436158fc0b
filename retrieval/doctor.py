"""Consistency check and repair of catalog and vector index after a crash or a bad copy.

What can go wrong, given how writes are ordered (see retrieval/catalog.py): a pending source
whose writer died (rows without vectors, or with some), a source marked deleting whose
writer died, vectors whose chunk is gone, ready chunks whose vectors are missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from common.processes import writer_alive
from common.progress import Progress, no_progress
from retrieval.library import Library
from retrieval.source_store import ADD_BATCH

logger = logging.getLogger(__name__)


@dataclass
class DoctorReport:
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    sources: int = 0
    chunks: int = 0
    vectors: int = 0
    # Settings that will fail when first used (CHORUS_LLM); not the store's consistency.
    setting_problems: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "consistent": self.consistent,
            "sources": self.sources,
            "chunks": self.chunks,
            "vectors": self.vectors,
            "problems": self.problems,
            "repairs": self.repairs,
            "setting_problems": self.setting_problems,
        }


def _check_catalog(library: Library, report: DoctorReport, repair: bool) -> None:
    for problem in library.catalog.integrity_problems():
        report.problems.append(f"catalog: {problem}")
        if repair and problem.startswith("keyword index"):
            library.catalog.rebuild_keyword_index()
            report.repairs.append("rebuilt the keyword index from the chunks")


def _check_unfinished(library: Library, report: DoctorReport, repair: bool) -> set[str]:
    """Pending/deleting sources whose writer is gone; returns those still being written."""
    busy: set[str] = set()
    for source in library.catalog.all_sources():
        if source.status == "ready":
            continue
        if writer_alive(library.catalog.writer_of(source.id)):
            busy.add(source.id)
            continue
        what = "half-added" if source.status == "pending" else "half-removed"
        report.problems.append(f"source {source.id} ({source.title}) is {what} (writer gone)")
        if repair:
            library.index.delete_source(source.id, source.scope)
            library.catalog.delete_source(source.id)
            report.repairs.append(f"removed {what} source {source.id} and its vectors")
    return busy


def _check_orphans(library: Library, report: DoctorReport, repair: bool) -> None:
    orphans = library.catalog.orphan_chunk_ids()
    if orphans:
        report.problems.append(f"{len(orphans)} chunk(s) without a source")
        if repair:
            library.catalog.delete_chunks(orphans)
            report.repairs.append(f"deleted {len(orphans)} chunk(s) without a source")
            # Their vectors, wherever they are, are "vectors without a chunk" below.


def _check_vectors(
    library: Library, report: DoctorReport, repair: bool, busy: set[str], progress: Progress
) -> None:
    ready = {c.id: (c, scope) for c, scope in library.catalog.iter_chunks("ready")}
    in_flight = {cid for cid in library.catalog.chunk_ids() if cid.split(":", 1)[0] in busy}
    stored = library.index.ids_by_scope()
    extra = {
        scope: sorted(
            i for i in ids if ready.get(i, (None, None))[1] != scope and i not in in_flight
        )
        for scope, ids in stored.items()
    }
    n_extra = sum(len(v) for v in extra.values())
    if n_extra:
        report.problems.append(f"{n_extra} vector(s) without a chunk in the catalog")
        if repair:
            for scope, ids in extra.items():
                library.index.delete(ids, scope)
            report.repairs.append(f"deleted {n_extra} vector(s) without a chunk")
    missing = sorted(cid for cid, (_, scope) in ready.items() if cid not in stored.get(scope, ()))
    if missing:
        sources = len({ready[m][0].source_id for m in missing})
        report.problems.append(f"{len(missing)} chunk(s) of {sources} source(s) have no vector")
        if repair:
            progress("re-embedding", 0, len(missing))
            for start in range(0, len(missing), ADD_BATCH):
                ids = missing[start : start + ADD_BATCH]
                library.index_chunks([ready[i] for i in ids])
                progress("re-embedding", start + len(ids), len(missing))
            report.repairs.append(f"embedded {len(missing)} chunk(s) that had no vector")


def diagnose(library: Library, *, repair: bool, progress: Progress = no_progress) -> DoctorReport:
    report = DoctorReport()
    _check_catalog(library, report, repair)
    busy = _check_unfinished(library, report, repair)
    _check_orphans(library, report, repair)
    _check_vectors(library, report, repair, busy, progress)
    report.sources = len(library.catalog.all_sources())
    report.chunks = library.catalog.count_chunks()
    report.vectors = library.index.count()
    return report
