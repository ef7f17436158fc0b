"""The bridge between analyses and retrieval: questions about a scope's stored analyses are
answered from the analyses themselves, and the cluster summaries an earlier version indexed
as reporting sources are removed (on opening the library, and by `doctor`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.access import Requester

if TYPE_CHECKING:
    from bot.components import Components
    from bot.coordination import DatasetAnswer
    from retrieval.catalog_records import SourceRecord
    from retrieval.doctor import DoctorReport
    from retrieval.library import Library

logger = logging.getLogger(__name__)

# Earlier versions indexed a prose summary per top cluster as a reporting source, with
# this origin and title; they crowded reporting out of answers and are removed on sight.
LEGACY_CLUSTER_ORIGIN = "chorus:dataset/"
LEGACY_CLUSTER_TITLE = "Coordination cluster "


def legacy_cluster_sources(sources: Sequence[SourceRecord]) -> list[SourceRecord]:
    """The cluster summaries an earlier version indexed (origin and title both match)."""
    return [
        s
        for s in sources
        if s.origin.startswith(LEGACY_CLUSTER_ORIGIN) and s.title.startswith(LEGACY_CLUSTER_TITLE)
    ]


class AnalysisBridge:
    def __init__(self) -> None:
        self._legacy_removed = 0  # cluster summaries of an earlier version, removed on open
        self._components: Components | None = None

    def attach(self, components: Components) -> None:
        self._components = components

    @property
    def components(self) -> Components:
        assert self._components is not None, "attach() the components first"
        return self._components

    def on_library_open(self, library: Library) -> None:
        """A data dir from an earlier version: its cluster summaries go, once."""
        legacy = legacy_cluster_sources(library.catalog.all_sources())
        if legacy:
            logger.info("removing %d legacy cluster summaries", len(legacy))
            for source in legacy:
                library.remove(source.id, scope=source.scope)
            self._legacy_removed = len(legacy)

    def doctor(self, report: DoctorReport, *, repair: bool) -> None:
        """What an earlier version left in the catalog (cluster summaries), then each stored
        analysis' cluster references, added to the catalog-and-index `report`."""
        library = self.components.library
        if self._legacy_removed:
            report.repairs.append(
                f"removed {self._legacy_removed} cluster summaries an earlier version had "
                "indexed as sources"
            )
            self._legacy_removed = 0
        legacy = legacy_cluster_sources(library.catalog.all_sources())
        if legacy:
            report.problems.append(
                f"{len(legacy)} cluster summaries indexed as sources by an earlier version "
                "(questions about clusters are now answered from the analysis itself)"
            )
            if repair:
                for source in legacy:
                    library.remove(source.id, scope=source.scope)
                report.repairs.append(f"removed {len(legacy)} cluster summaries from the catalog")
        for problem in self.components.patterns.check_references():
            report.problems.append(problem)

    def ask_analysis(self, question: str, req: Requester) -> DatasetAnswer | None:
        """The answer from this scope's stored analyses, with whether the reporting may
        answer too, or None when the question is not about them (then reporting answers
        it). Datasets are never shared between scopes."""
        datasets = self.components.settings.data_dir / "datasets"
        if not datasets.is_dir() or not any(datasets.iterdir()):
            return None  # nothing analysed here: no need to load the engine
        from bot.coordination import CoordinationAnswerer  # noqa: PLC0415 - DuckDB

        return CoordinationAnswerer(self.components.reader).answer(question, req.scope)
