"""Analyses stored by the version before typed results still load, and print exactly what
that version printed: `--json` byte for byte, terminal text line for line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from patterns.results import AnalysisResult, ClusterDetail, Member
from patterns.serialise import from_json
from patterns.service import PatternService

STORED = Path(__file__).resolve().parents[1] / "fixtures" / "stored"


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (STORED / "analysis-before-typed-results.json").read_text(encoding="utf-8")
    )
    return data


def _printed(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)  # as `chorus ... --json` writes


def test_a_stored_analysis_reads_back_and_writes_the_same(before: dict[str, Any]) -> None:
    body, meta = json.loads(before["analysis_body"]), json.loads(before["analysis_meta"])
    result = AnalysisResult.from_parts(body, meta)
    assert _printed(result.to_json()) == _printed(before["printed_clusters_json"])
    assert result.meta_json() == meta and result.to_json() == body
    assert result.render_text() == before["printed_clusters_text"].rstrip("\n")
    assert result.clusters[0].first_seen == 1704067200.5  # fractional seconds survive
    for cluster_id, blob in before["cluster_details"].items():
        printed = before["printed_cluster_json"][cluster_id]
        members = tuple(from_json(Member, m) for m in printed["members"])
        detail = ClusterDetail.from_stored(json.loads(blob), params=result.params, members=members)
        assert _printed(detail.to_json()) == _printed(printed)
        assert json.loads(detail.stored_text()) == json.loads(blob)
        assert detail.render_text() == before["printed_cluster_text"][cluster_id].rstrip("\n")


def test_a_dataset_file_holding_the_old_rows_is_read_by_the_service(
    svc: PatternService, tmp_path: Path, before: dict[str, Any]
) -> None:
    """The same posts analysed now, their analysis rows replaced by the old version's:
    listing and one cluster read what was stored then and print what it printed."""
    posts = shutil.copy(STORED / "posts.csv", tmp_path / "posts.csv")
    fresh = svc.analyze_file(Path(posts), scope="s")
    meta = json.loads(before["analysis_meta"])
    assert fresh.analysis_id == meta["analysis_id"]  # same parameters, same ids
    store = svc._store("s")
    con = store.connect(store.require("posts").path)
    try:
        con.execute("DELETE FROM analyses")
        con.execute(
            "INSERT INTO analyses VALUES (?, ?, ?, ?)",
            [
                meta["analysis_id"],
                meta["created_at"],
                before["analysis_body"],
                before["analysis_meta"],
            ],
        )
        for cluster_id, blob in before["cluster_details"].items():
            con.execute("UPDATE clusters SET detail = ? WHERE cluster_id = ?", [blob, cluster_id])
    finally:
        con.close()
    (listed,) = svc.latest_analyses("s")
    assert _printed(listed.to_json()) == _printed(before["printed_clusters_json"])
    for cluster_id, printed in before["printed_cluster_json"].items():
        assert _printed(svc.cluster(cluster_id, scope="s").to_json()) == _printed(printed)
