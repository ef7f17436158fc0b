"""A stand-in for the patterns half of the Assistant, with the names and shapes of issue 4."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bot.access import require_moderator
from bot.assistant import Assistant, Requester
from common.errors import InputError, NotFoundError
from common.progress import Progress, no_progress

# A PNG header is all a Discord upload needs to be a PNG to the tests.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class FakeAnalysis:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_json(self) -> dict[str, Any]:
        return self.data

    def empty_message(self) -> str:
        return "No group of 3 or more accounts shared anything within 60 s."


class FakeDetail:
    def __init__(self, cluster: dict[str, Any]) -> None:
        self.cluster = cluster

    def to_json(self) -> dict[str, Any]:
        return self.cluster

    def render_text(self) -> str:
        return f"Cluster {self.cluster['id']}: {self.cluster['size']} accounts"

    def summary_text(self) -> str:
        return (
            f"{self.cluster['size']} accounts posted the same text within minutes "
            f"({', '.join(self.cluster['signals'])})."
        )


class PatternsAssistant(Assistant):
    """The real Assistant plus the patterns methods the lead is adding (issue 4's names and
    shapes), scoped like the rest: a cluster id from another scope is simply not found."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored: dict[str, dict[str, dict[str, Any]]] = {}
        self.uploads: list[tuple[bytes, str, Requester, str | None]] = []

    # Duck-typed results (the cogs use to_json, empty_message, summary_text): shapes chosen
    # to exercise rendering at Discord's limits, which a tiny real dataset cannot.
    def analyze_upload(  # type: ignore[override]
        self,
        data: bytes,
        filename: str,
        req: Requester,
        *,
        name: str | None = None,
        progress: Progress = no_progress,
    ) -> FakeAnalysis:
        require_moderator(req, "add datasets")
        if not data.startswith(b"post_id"):
            raise InputError(f"{filename}: line 1: no post_id column")
        self.uploads.append((data, filename, req, name))
        for done in range(5):
            progress("analysing", done, 4)
        dataset = name or Path(filename).stem
        digest = hashlib.sha256(f"{req.scope}/{dataset}".encode()).hexdigest()
        cluster = {
            "id": f"c{digest[:7]}",
            "size": 70,
            "accounts": [f"acct{i}" for i in range(3)],
            "signals": {"text": 12, "url": 3},
            "first_seen": "2020-02-21T18:02:00+00:00",
            "last_seen": "2020-02-21T18:09:30+00:00",
            "score": 0.93,
            "examples": [
                {
                    "post_id": "p1",
                    "account_id": "acct0",
                    "time": "2020-02-21T18:02:00+00:00",
                    "text": "Mike will get it done. @everyone <@&123> vote!",
                }
            ],
        }
        clusters = [] if dataset == "quiet" else [cluster]
        result = {"dataset": dataset, "posts": 140, "accounts": 75, "clusters": clusters}
        self.stored.setdefault(req.scope, {})[dataset] = result
        return FakeAnalysis(result)

    def clusters(
        self,
        req: Requester,
        dataset: str | None = None,
        *,
        sort: str = "score",
        limit: int | None = None,
    ) -> dict[str, Any]:
        mine = self.stored.get(req.scope, {})
        if dataset is not None and dataset not in mine:
            raise NotFoundError(f"no dataset named {dataset}")
        chosen = [mine[dataset]] if dataset is not None else list(mine.values())
        return {
            "dataset": dataset,
            "posts": sum(d["posts"] for d in chosen),
            "accounts": sum(d["accounts"] for d in chosen),
            "clusters": [c for d in chosen for c in d["clusters"]],
        }

    def cluster(self, cluster_id: str, req: Requester) -> FakeDetail:  # type: ignore[override]
        for d in self.stored.get(req.scope, {}).values():
            for c in d["clusters"]:
                if c["id"] == cluster_id:
                    return FakeDetail(c)
        raise NotFoundError(f"no cluster with id {cluster_id}")

    def plot_cluster(self, cluster_id: str, req: Requester, path: Path) -> list[Path]:
        self.cluster(cluster_id, req)
        out = [path.with_name("timeline.png"), path.with_name("network.png")]
        for p in out:
            p.write_bytes(PNG)
        return out
