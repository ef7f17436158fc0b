"""Discord rendering of typed analyses: the cluster list, one cluster, within the limits."""

from __future__ import annotations

from dataclasses import replace

from bot.discord_clusters import cluster_detail_embeds, clusters_embeds, time_span
from patterns.results import ClusterListing, ClusterSummary, Example, Member
from tests.discord.fakes import T0, fake_analysis, fake_detail
from tests.discord.test_discord_render import assert_embed_limits


def _cluster(cid: str, *, size: int = 3, score: float = 1.0, **signals: int) -> ClusterSummary:
    return ClusterSummary(
        id=cid,
        size=size,
        accounts=("a", "b", "c"),
        signals=signals or {"text": 1},
        first_seen=T0,
        last_seen=T0 + 420,
        score=score,
        examples=(),
    )


def _listing(*clusters: ClusterSummary, dataset: str | None = None) -> ClusterListing:
    return ClusterListing(dataset=dataset, posts=9, accounts=8, clusters=clusters)


def test_clusters_render_in_the_order_given_with_span() -> None:
    """The Assistant sorts (by score, size, ...); the embed keeps its order."""
    clusters = [_cluster(f"c{i}", size=i + 3, score=i / 100) for i in reversed(range(40))]
    embeds = clusters_embeds(_listing(*clusters, dataset="d"), top=15)
    text = embeds[0].description or ""
    assert text.index("`c39`") < text.index("`c38`")
    assert "`c10`" not in text  # only the top 15
    assert "7 min" in text and "Showing 15 of 40" in (embeds[-1].footer.text or "")
    assert "No coordination clusters" in (clusters_embeds(_listing())[0].description or "")


def test_signals_show_their_counts_strongest_first() -> None:
    line = clusters_embeds(_listing(_cluster("c1", url=2, text=9)))[0].description
    assert "text (9), url (2)" in (line or "")
    listed = clusters_embeds(_listing(_cluster("c1", image=1)))[0].description
    assert "image" in (listed or "")


def test_cluster_detail_cuts_example_posts_to_fields() -> None:
    result = fake_analysis("d", "s")
    detail = fake_detail(result, result.clusters[0])
    long_names = tuple(
        Member(f"acct{i}", "n" * 300, None, T0, 1, 1, None) for i in range(25)
    )  # a summary of thousands of characters
    posts = tuple(Example(f"p{i}", "a", T0, "p" * 5000) for i in range(8))
    embeds = cluster_detail_embeds(replace(detail, members=long_names, examples=posts))
    assert_embed_limits(embeds)
    assert len(embeds) > 1 and sum(len(e.fields) for e in embeds) == 5
    silent = (Example("p1", "a", T0, None),)
    no_text = cluster_detail_embeds(replace(detail, examples=silent))
    assert no_text[0].fields[0].value == "(no text)"


def test_time_span() -> None:
    assert time_span("2020-02-21T18:02:00Z", "2020-02-21T18:02:40Z").endswith("(40 s)")
    assert "days" in time_span("2020-02-01T00:00:00Z", "2020-02-21T00:00:00Z")
    assert time_span(T0, T0 + 40).endswith("(40 s)")  # epoch seconds, as results hold them
    assert time_span("?", None) == "? \u2192 None"
