"""Several datasets' clusters in one listing (`chorus clusters`, /clusters): by the measure
a summary carries, else by rank within each dataset; each names its dataset."""

from __future__ import annotations

from patterns.params import AnalysisParams
from patterns.results import AnalysisResult, ClusterListing, ClusterSummary


def _result(dataset: str, *scores: float) -> AnalysisResult:
    clusters = tuple(
        ClusterSummary(
            id=f"c{dataset}{i}",
            size=10 - i,
            accounts=("a", "b", "c"),
            signals={"url": i},
            first_seen=0.0,
            last_seen=60.0,
            score=s,
            examples=(),
        )
        for i, s in enumerate(scores)
    )
    return AnalysisResult(
        dataset=dataset,
        posts=100,
        accounts=10,
        clusters=clusters,
        analysis_id="x",
        params=AnalysisParams(),
        window_s=60.0,
        created_at=0.0,
        edges=0,
        linked_accounts=0,
    )


def test_one_dataset_is_its_analysis_and_several_merge_by_the_measure() -> None:
    one = ClusterListing.of_analyses([_result("a", 5.0, 1.0)], sort="score", limit=1)
    assert (one.dataset, [c.id for c in one.clusters]) == ("a", ["ca0"])
    assert "dataset" not in one.to_json()["clusters"][0]
    both = [_result("a", 5.0, 1.0), _result("b", 3.0)]
    by_score = ClusterListing.of_analyses(both, sort="score")
    assert [c.id for c in by_score.clusters] == ["ca0", "cb0", "ca1"]
    assert (by_score.dataset, by_score.posts, by_score.accounts) == (None, 200, 20)
    data = by_score.to_json()
    assert list(data["clusters"][1])[-1] == "dataset" and data["clusters"][1]["dataset"] == "b"
    # --limit N is per dataset, as the terminal's tables show them (b has one cluster).
    by_rank = ClusterListing.of_analyses(both, sort="new", limit=1)
    assert [c.id for c in by_rank.clusters] == ["ca0", "cb0"]  # rank 0 of each, then by id
    two = ClusterListing.of_analyses(both, sort="score", limit=2)
    assert [c.id for c in two.clusters] == ["ca0", "cb0", "ca1"]
    by_links = ClusterListing.of_analyses(both, sort="url")
    assert by_links.clusters[0].id == "ca1"  # the most links
    assert ClusterListing.of_analyses([], sort="score").to_json() == {
        "dataset": None,
        "posts": 0,
        "accounts": 0,
        "clusters": [],
    }


def test_the_table_counts_the_clusters_left_out_in_words() -> None:
    from patterns.result_text import cluster_table

    assert cluster_table(_result("a", 5.0, 1.0), limit=1).endswith(
        "… and 1 more cluster (by score; --limit N shows more)"
    )
    assert "… and 2 more clusters (by" in cluster_table(_result("a", 5.0, 3.0, 1.0), limit=1)
