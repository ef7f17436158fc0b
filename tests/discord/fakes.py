"""A stand-in for the patterns half of the Assistant, with the names and shapes of issue 4."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.access import require_moderator
from bot.assistant import Assistant, Requester
from common.errors import InputError, NotFoundError
from common.progress import Progress, no_progress
from patterns.params import AnalysisParams
from patterns.results import (
    AnalysisResult,
    ClusterDetail,
    ClusterListing,
    ClusterSummary,
    EvidencePost,
    Example,
    Member,
    TopItem,
)

# A PNG header is all a Discord upload needs to be a PNG to the tests.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


T0 = datetime(2020, 2, 21, 18, 2, tzinfo=UTC).timestamp()


def fake_analysis(dataset: str, scope: str) -> AnalysisResult:
    """An analysis of the product's own type, with shapes chosen to exercise rendering at
    Discord's limits (a 70-account cluster, mentions in a post), which a tiny real dataset
    cannot; "quiet" finds nothing."""
    digest = hashlib.sha256(f"{scope}/{dataset}".encode()).hexdigest()
    cluster = ClusterSummary(
        id=f"c{digest[:7]}",
        size=70,
        accounts=tuple(f"acct{i}" for i in range(3)),
        signals={"text": 12, "url": 3},
        first_seen=T0,
        last_seen=T0 + 450,
        score=0.93,
        examples=(Example("p1", "acct0", T0, "Mike will get it done. @everyone <@&123> vote!"),),
    )
    return AnalysisResult(
        dataset=dataset,
        posts=140,
        accounts=75,
        clusters=() if dataset == "quiet" else (cluster,),
        analysis_id=digest[:16],
        params=AnalysisParams(),
        window_s=60.0,
        created_at=T0 + 3600,
        edges=0,
        linked_accounts=0,
    )


def fake_detail(result: AnalysisResult, cluster: ClusterSummary) -> ClusterDetail:
    members = tuple(Member(a, None, None, T0, 2, 2, None) for a in cluster.accounts)
    evidence = tuple(
        EvidencePost(**vars(e), signal="text", item=e.text or "") for e in cluster.examples
    )
    return ClusterDetail(
        **vars(cluster),
        dataset=result.dataset,
        analysis_id=result.analysis_id,
        params=result.params,
        window_s=result.window_s,
        members=members,
        edges=3,
        density=1.0,
        total_weight=0.93,
        co_posts=12,
        median_lag_s=40.0,
        new_accounts=0,
        accounts_with_creation_date=0,
        top_items={"text": (TopItem("text", "Mike will get it done.", 70, 120),)},
        evidence_examples=evidence,
        analysed_at=result.created_at,
    )


class PatternsAssistant(Assistant):
    """The real Assistant plus the patterns methods the lead is adding (issue 4's names and
    shapes), scoped like the rest: a cluster id from another scope is simply not found."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored: dict[str, dict[str, AnalysisResult]] = {}
        self.uploads: list[tuple[bytes, str, Requester, str | None]] = []

    # Results of the product's types (fake_analysis), stored per scope and name.
    def analyze_upload(
        self,
        data: bytes,
        filename: str,
        req: Requester,
        *,
        name: str | None = None,
        progress: Progress = no_progress,
    ) -> AnalysisResult:
        require_moderator(req, "add datasets")
        if not data.startswith(b"post_id"):
            raise InputError(f"{filename}: line 1: no post_id column")
        self.uploads.append((data, filename, req, name))
        for done in range(5):
            progress("analysing", done, 4)
        dataset = name or Path(filename).stem
        result = fake_analysis(dataset, req.scope)
        self.stored.setdefault(req.scope, {})[dataset] = result
        return result

    def clusters(
        self,
        req: Requester,
        dataset: str | None = None,
        *,
        sort: str = "score",
        limit: int | None = None,
    ) -> ClusterListing:
        mine = self.stored.get(req.scope, {})
        if dataset is not None and dataset not in mine:
            raise NotFoundError(f"no dataset named {dataset}")
        chosen = [mine[dataset]] if dataset is not None else list(mine.values())
        return ClusterListing(
            dataset=dataset,
            posts=sum(d.posts for d in chosen),
            accounts=sum(d.accounts for d in chosen),
            clusters=tuple(c for d in chosen for c in d.clusters),
        )

    def cluster(self, cluster_id: str, req: Requester) -> ClusterDetail:
        for d in self.stored.get(req.scope, {}).values():
            for c in d.clusters:
                if c.id == cluster_id:
                    return fake_detail(d, c)
        raise NotFoundError(f"no cluster with id {cluster_id}")

    def plot_cluster(self, cluster_id: str, req: Requester, path: Path) -> list[Path]:
        self.cluster(cluster_id, req)
        out = [path.with_name("timeline.png"), path.with_name("network.png")]
        for p in out:
            p.write_bytes(PNG)
        return out
