"""PatternService: the JSON contract, stable ids, reuse without reload, scopes, exports,
plots, the nothing-found message and progress."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import igraph
import pytest

from common.errors import InputError, NotFoundError
from patterns.result_text import nothing_found_message
from patterns.service import PatternService
from tests.patterns.conftest import make_service

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_json_is_exactly_the_design_shape(svc: PatternService, tiny: Path) -> None:
    data = svc.analyze_file(tiny, scope="s").to_json()
    assert set(data) == {"dataset", "posts", "accounts", "clusters"}
    assert (data["dataset"], data["posts"], data["accounts"]) == ("tiny", 24, 15)
    (cluster,) = data["clusters"]
    assert set(cluster) == {
        "id",
        "size",
        "accounts",
        "signals",
        "first_seen",
        "last_seen",
        "score",
        "examples",
    }
    assert cluster["accounts"] == ["a1", "a2", "a3"] and cluster["size"] == 3
    assert cluster["signals"] == {"text": 1, "url": 1}
    # p01 (a1, 00:00:00) co-posts with p03 (a2, 00:00:10), though the pair keeps p02-p03.
    assert cluster["first_seen"] == "2024-01-01T00:00:00Z" and ISO.match(cluster["last_seen"])
    for example in cluster["examples"]:
        assert set(example) == {"post_id", "account_id", "time", "text"}
        assert ISO.match(example["time"])
    json.dumps(data)  # plain JSON types only


def test_ids_are_stable_across_runs_services_and_names_of_nothing_else(
    tmp_path: Path, tiny: Path
) -> None:
    first = make_service(tmp_path / "one").analyze_file(tiny, scope="s")
    again = make_service(tmp_path / "two").analyze_file(tiny, scope="other")
    assert [c.id for c in first.clusters] == [c.id for c in again.clusters]
    other_params = make_service(tmp_path / "three").analyze_file(
        tiny, scope="s", params=make_service(tmp_path / "x").params(window_s=61)
    )
    assert [c.accounts for c in other_params.clusters] == [c.accounts for c in first.clusters]
    assert [c.id for c in other_params.clusters] != [c.id for c in first.clusters]


def test_same_content_is_reused_other_content_replaces(
    svc: PatternService, tiny: Path, tmp_path: Path
) -> None:
    svc.analyze_file(tiny, scope="s", name="d")
    loaded_at = svc.datasets("s")[0].loaded_at
    copy = tmp_path / "copy.csv"
    shutil.copy(tiny, copy)
    svc.analyze_file(copy, scope="s", name="d", params=svc.params(window_s=100))
    assert svc.datasets("s")[0].loaded_at == loaded_at  # not read again
    # A re-analysis with other parameters does not reload either.
    result = svc.analyze_dataset("d", scope="s", params=svc.params(window_s=100))
    assert len(result.clusters) == 2 and svc.datasets("s")[0].loaded_at == loaded_at
    # Other content under the same name replaces the dataset.
    lines = tiny.read_text().splitlines()
    copy.write_text("\n".join(lines[:5]) + "\n")
    replaced = svc.analyze_file(copy, scope="s", name="d")
    assert replaced.posts == 4 and svc.datasets("s")[0].posts == 4
    # Same content, other --map: a new load.
    svc.analyze_file(copy, scope="s", name="d", mapping={"text": "text"})
    assert svc.datasets("s")[0].loaded_at > loaded_at


def test_strict_on_reuse_still_refuses_bad_timestamps(svc: PatternService, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("account_id,created_at,text\na,2024-01-01,x\nb,never,x\n")
    svc.analyze_file(path, scope="s")
    with pytest.raises(InputError, match="1 rows have timestamps"):
        svc.analyze_file(path, scope="s", strict=True)


def test_scopes_are_sealed(svc: PatternService, tiny: Path) -> None:
    result = svc.analyze_file(tiny, scope="guild-1", name="mine")
    cid = result.clusters[0].id
    assert svc.datasets("guild-2") == []
    assert svc.latest_analyses("guild-2") == []

    # A foreign id or name fails with the very words a missing one gets.
    missing = make_service(svc.root.parent / "empty")
    for call, twin in (
        (lambda: svc.cluster(cid, scope="guild-2"), lambda: missing.cluster(cid, scope="guild-1")),
        (
            lambda: svc.remove_dataset("mine", scope="guild-2"),
            lambda: missing.remove_dataset("mine", scope="guild-1"),
        ),
        (
            lambda: svc.latest_analyses("guild-2", "mine"),
            lambda: missing.latest_analyses("guild-1", "mine"),
        ),
    ):
        with pytest.raises(NotFoundError) as foreign:
            call()
        with pytest.raises(NotFoundError) as absent:
            twin()
        assert str(foreign.value) == str(absent.value)
    for attempt in (
        lambda: svc.analyze_dataset("mine", scope="guild-2"),
        lambda: svc.latest_analyses("guild-2", "mine"),
        lambda: svc.export("mine", scope="guild-2", out_dir=Path("unused")),
        lambda: svc.plot_cluster(cid, scope="guild-2", path=Path("unused.png")),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    assert svc.cluster(cid, scope="guild-1").id == cid  # still there for its owner
    svc.remove_dataset("mine", scope="guild-1")
    with pytest.raises(NotFoundError, match=f"no cluster '{cid}'"):
        svc.cluster(cid, scope="guild-1")


def test_clusters_lists_latest_analysis_per_dataset(svc: PatternService, tiny: Path) -> None:
    svc.analyze_file(tiny, scope="s", name="b")
    svc.analyze_file(tiny, scope="s", name="a", params=svc.params(window_s=100))
    svc.analyze_dataset("b", scope="s", params=svc.params(window_s=10, min_shared=1))
    listed = svc.latest_analyses("s")
    assert [r.dataset for r in listed] == ["a", "b"]
    assert listed[1].params.window_s == 10 and len(listed[1].clusters) == 2
    assert svc.latest_analyses("s", "a")[0].to_json() == listed[0].to_json()


def test_detail_text_and_json(svc: PatternService, tiny: Path) -> None:
    cid = svc.analyze_file(tiny, scope="s").clusters[0].id
    detail = svc.cluster(cid, scope="s")
    text = detail.summary_text()
    for needle in (
        cid,
        '"tiny"',
        "3 accounts",
        "identical text (1 distinct item)",
        "same link (1 distinct item)",
        "https://mike.example/plan",
        "median lag",
        "Account creation dates are not in the dataset",
        "a1, a2, a3",
        "post p01",
    ):
        assert needle in text, needle
    assert cid in detail.render_text()
    data = detail.to_json()
    assert data["median_lag_s"] == 17.5 and data["new_account_share"] is None
    assert type(detail).from_json(json.loads(json.dumps(data))) == detail


def test_cluster_details_for_summary_documents(svc: PatternService, tiny: Path) -> None:
    result = svc.analyze_file(tiny, scope="s", params=svc.params(min_shared=1, window_s=100))
    details = svc.cluster_details("tiny", scope="s")
    assert [d.id for d in details] == [c.id for c in result.clusters]
    assert details[0] == svc.cluster(details[0].id, scope="s")
    assert [m.account_id for m in details[0].members] == sorted(details[0].summary.accounts)
    assert len(svc.cluster_details("tiny", scope="s", limit=1)) == 1
    with pytest.raises(NotFoundError):
        svc.cluster_details("tiny", scope="elsewhere")


def test_new_account_share(svc: PatternService, tmp_path: Path) -> None:
    rows = ["post_id,account_id,created_at,text,account_created_at"]
    created = {"n1": "2023-12-20", "n2": "2023-12-01", "old": "2015-01-01"}  # first post 2024-01-01
    for i in range(3):
        for k, (acc, made) in enumerate(created.items()):
            rows.append(
                f"{i}{k},{acc},2024-01-0{1 + i}T00:00:0{k}Z,message number {i} for all,{made}"
            )
    path = tmp_path / "ages.csv"
    path.write_text("\n".join(rows) + "\n")
    cid = svc.analyze_file(path, scope="s").clusters[0].id
    detail = svc.cluster(cid, scope="s")
    assert (detail.new_accounts, detail.accounts_with_creation_date) == (2, 3)
    assert "2 of 3 accounts with a known creation date (67%)" in detail.summary_text()
    assert svc.cluster(cid, scope="s").new_account_share == pytest.approx(2 / 3)
    detail_30 = svc.cluster(
        svc.analyze_dataset("ages", scope="s", params=svc.params(new_account_days=15))
        .clusters[0]
        .id,
        scope="s",
    )
    assert detail_30.new_accounts == 1


def test_exports(svc: PatternService, tiny: Path, tmp_path: Path) -> None:
    result = svc.analyze_file(tiny, scope="s", params=svc.params(min_shared=1, min_accounts=2))
    files = svc.export(result, scope="s", out_dir=tmp_path / "out")
    assert sorted(p.name for p in files) == [
        "clusters.json",
        "edges.csv",
        "evidence.csv",
        "graph.graphml",
    ]
    data = json.loads((tmp_path / "out" / "clusters.json").read_text())
    assert {k: data[k] for k in result.to_json()} == result.to_json()
    assert data["analysis"]["params"]["min_shared"] == 1 and len(data["details"]) == len(
        result.clusters
    )
    with (tmp_path / "out" / "edges.csv").open() as f:
        edges = list(csv.DictReader(f))
    assert len(edges) == result.edges
    a12 = next(e for e in edges if {e["source"], e["target"]} == {"a1", "a2"})
    assert (
        a12["weight"] == "2.0" and a12["shared_items"] == "2" and a12["signals"] == "text:1,url:1"
    )
    assert a12["cluster_id"] == result.clusters[0].id
    with (tmp_path / "out" / "evidence.csv").open() as f:
        evidence = list(csv.DictReader(f))
    rows = [r for r in evidence if {r["source"], r["target"]} == {"a1", "a2"}]
    assert [
        (r["signal"], r["item"], r["source_post"], r["target_post"], r["lag_s"]) for r in rows
    ] == [
        ("text", "Vote for Mike! Big plans", "p02", "p03", "5.0"),
        ("url", "https://mike.example/plan", "p06", "p07", "30.0"),
    ]
    assert all(ISO.match(r["source_time"]) and ISO.match(r["target_time"]) for r in rows)
    assert {r["cluster_id"] for r in rows} == {result.clusters[0].id}
    assert a12["co_posts"] == str(sum(int(r["co_posts"]) for r in rows))
    assert len(evidence) == sum(int(e["shared_items"]) for e in edges)  # one row per item
    graph = igraph.Graph.Read_GraphML(str(tmp_path / "out" / "graph.graphml"))
    assert graph.ecount() == result.edges
    assert set(graph.vs["account_id"]) >= {"a1", "a2", "a3", "g1", "g2", "r1"}
    # By name: the latest analysis.
    assert len(svc.export("tiny", scope="s", out_dir=tmp_path / "again")) == 4
    # Every edge is exported, clustered or not: an edge in no cluster has an empty id.
    alone = svc.analyze_dataset("tiny", scope="s", params=svc.params(min_shared=1, min_accounts=9))
    svc.export(alone, scope="s", out_dir=tmp_path / "alone")
    with (tmp_path / "alone" / "edges.csv").open() as f:
        unclustered = list(csv.DictReader(f))
    assert len(unclustered) == len(edges) and {e["cluster_id"] for e in unclustered} == {""}


def test_plot(svc: PatternService, tiny: Path, tmp_path: Path) -> None:
    cid = svc.analyze_file(tiny, scope="s").clusters[0].id
    out = svc.plot_cluster(cid, scope="s", path=tmp_path / "c.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_nothing_found(svc: PatternService, tiny: Path) -> None:
    result = svc.analyze_file(tiny, scope="s", params=svc.params(window_s=1))
    assert result.clusters == ()
    assert result.empty_message() == "no clusters at window 1 s, min-shared 2; try a larger window"
    assert nothing_found_message(result) in result.render_text()
    auto = svc.analyze_dataset("tiny", scope="s", params=svc.params(window_s="auto"))
    assert auto.window_s >= 1 and any("window estimated" in n for n in auto.notes)


def test_min_accounts_is_named_when_every_group_is_smaller(
    svc: PatternService, tmp_path: Path
) -> None:
    """Two groups (4 and 3 accounts: 7 linked) at min-accounts 5: the largest group, not all
    linked accounts, decides that min-accounts is the limit to name."""
    path = tmp_path / "groups.csv"
    lines = ["account_id,created_at,urls"]
    for group, size in (("g", 4), ("h", 3)):
        for k in range(3):
            lines += [
                f"{group}{i},{1_700_000_000 + 3600 * k + i},https://{group}.example/{k}"
                for i in range(size)
            ]
    path.write_text("\n".join(lines) + "\n")
    result = svc.analyze_file(path, scope="s", params=svc.params(min_accounts=5))
    assert result.clusters == () and result.linked_accounts == 7 and result.largest_group == 4
    assert result.empty_message() == (
        "no clusters at window 60 s, min-shared 2 (the largest group of linked accounts has 4 "
        "accounts, fewer than min-accounts 5); try min_accounts=4 or a larger window"
    )


def test_repeats_of_one_item_are_named_when_they_left_pairs_short(
    svc: PatternService, tmp_path: Path
) -> None:
    """Three accounts reuse one hashtag set seconds apart on three days: one item, below
    min-shared 2, which a user could not tell; the advice says repeats count once, and
    says so again from the stored analysis. Distinct sets on each day say nothing of it."""
    path = tmp_path / "tags.csv"
    lines = ["account_id,created_at,hashtags"]
    lines += [
        f"t{i},{1_700_000_000 + 86_400 * d + 3 * i},#Same #Set" for d in range(3) for i in range(3)
    ]
    path.write_text("\n".join(lines) + "\n")
    result = svc.analyze_file(path, scope="s", params=svc.params(signals="hashtags"))
    assert result.clusters == () and result.repeated_pairs == 3
    said = "3 account pairs posted one item within the window several times"
    assert said in result.empty_message() and "repeats of an item" in result.empty_message()
    [stored] = svc.latest_analyses("s", "tags")
    assert said in stored.empty_message()
    assert "repeated_pairs" not in stored.to_json()  # the DESIGN.md shape is unchanged

    once = tmp_path / "once.csv"
    lines = ["account_id,created_at,hashtags"]
    lines += [f"t{i},{1_700_000_000 + 3 * i},#Same #Set" for i in range(3)]
    once.write_text("\n".join(lines) + "\n")
    single = svc.analyze_file(once, scope="s", params=svc.params(signals="hashtags"))
    assert single.repeated_pairs == 0 and "repeats" not in single.empty_message()


def test_progress_is_reported(svc: PatternService, tiny: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    svc.analyze_file(tiny, scope="s", progress=lambda s, d, t: seen.append((s, d, t)))
    assert_every_stage_moves(seen, ("reading", "storing", "signals", "pairing", "clustering"))
    assert seen[-1] == ("saving", 6, 6)
    seen.clear()
    svc.export("tiny", scope="s", out_dir=tmp_path / "out", progress=lambda *a: seen.append(a))
    assert_every_stage_moves(seen, ("exporting",))


def assert_every_stage_moves(
    seen: list[tuple[str, int, int | None]], stages: tuple[str, ...]
) -> None:
    """Each stage reports, goes from its start to its end, and ends done."""
    for stage in stages:
        steps = [(d, t) for s, d, t in seen if s == stage]
        assert steps, stage
        assert len({d for d, _ in steps}) >= 2, stage  # it moved
        done, total = steps[-1]
        assert total is not None and done == total, stage


def test_bad_parameters_and_names(svc: PatternService, tiny: Path) -> None:
    with pytest.raises(InputError, match="unknown signal 'likes'"):
        svc.params(signals="text,likes")
    with pytest.raises(InputError, match="window must be"):
        svc.params(window_s="soon")
    with pytest.raises(InputError, match="dataset name"):
        svc.analyze_file(tiny, scope="s", name="\x00bad")
    assert svc.params(signals="url,text").signals == ("text", "url")


def test_a_stored_window_the_checks_now_refuse_still_reads_back() -> None:
    """Window 0 was accepted before it was refused: an analysis stored at it still opens."""
    from patterns.params import AnalysisParams

    with pytest.raises(InputError, match="window must be seconds above 0"):
        AnalysisParams.build(window_s=0)
    stored = AnalysisParams.from_json(AnalysisParams.build().to_json() | {"window_s": 0.0})
    assert stored.window_s == 0.0


def test_auto_window_gives_the_ids_of_the_window_it_settles_on(
    svc: PatternService, tmp_path: Path
) -> None:
    rows = ["post_id,account_id,created_at,text"]
    for k in range(4):  # three accounts post each message one second apart
        rows += [
            f"p{k}{a},{a},2024-01-01T00:{k:02d}:0{i}Z,message {k}" for i, a in enumerate("abc")
        ]
    path = tmp_path / "burst.csv"
    path.write_text("\n".join(rows) + "\n")
    params = {"signals": "text", "min_shared": 1, "min_accounts": 2}
    auto = svc.analyze_file(path, scope="s", params=svc.params(window_s="auto", **params))
    # CooRnet's 1 s, widened to each burst's 2 s so the first and third account pair too.
    assert auto.window_s == 2.0
    fixed = svc.analyze_dataset("burst", scope="s", params=svc.params(window_s=2, **params))
    assert auto.clusters and [c.id for c in auto.clusters] == [c.id for c in fixed.clusters]
    assert auto.analysis_id == fixed.analysis_id
    other = svc.analyze_dataset("burst", scope="s", params=svc.params(window_s=3, **params))
    assert other.clusters and {c.id for c in other.clusters}.isdisjoint(c.id for c in auto.clusters)


def test_auto_window_keeps_a_small_group_whole(svc: PatternService, tmp_path: Path) -> None:
    """Six accounts post each of five messages within about 40 s (a new user's data): the
    auto window used to be CooRnet's 13 s and found 4 of them; widened, all 6."""
    offsets = [(0, 8, 16, 24, 32, 40), (0, 5, 9, 30, 33, 39), (0, 14, 20, 27, 35, 38)]
    offsets += [(0, 2, 19, 21, 36, 40), (0, 16, 17, 18, 31, 40)]
    rows = ["post_id,account_id,created_at,text"]
    for k, burst in enumerate(offsets):
        rows += [
            f"m{k}{a},g{a},{1_700_000_000 + 3600 * k + s},campaign message {k}"
            for a, s in enumerate(burst)
        ]
    for k in range(20):  # organic items shared twice, minutes to hours apart
        rows += [
            f"o{k}{j},o{(k + j) % 7},{1_700_100_000 + 5000 * k + j * (600 + 97 * k)},thing {k}"
            for j in range(2)
        ]
    path = tmp_path / "group.csv"
    path.write_text("\n".join(rows) + "\n")
    auto = svc.analyze_file(path, scope="s", params=svc.params(window_s="auto", signals="text"))
    assert auto.window_s == 40.0
    assert [sorted(c.accounts) for c in auto.clusters] == [[f"g{a}" for a in range(6)]]


def test_count_weighting_counts_every_item_one(svc: PatternService, tmp_path: Path) -> None:
    # One item posted by all 12 accounts (popular: discounted to 0 by default), one by two.
    rows = ["post_id,account_id,created_at,text"]
    rows += [f"p{k},u{k},2024-01-01T00:00:{k:02d}Z,everyone says this" for k in range(12)]
    rows += [
        "q0,u0,2024-01-02T00:00:00Z,only two say this",
        "q1,u1,2024-01-02T00:00:09Z,only two say this",
    ]
    path = tmp_path / "popular.csv"
    path.write_text("\n".join(rows) + "\n")
    discounted = svc.analyze_file(path, scope="s", params=svc.params(signals="text", min_shared=2))
    counted = svc.analyze_dataset(
        "popular", scope="s", params=svc.params(signals="text", min_shared=2, weighting="count")
    )
    assert discounted.edges == 0  # 1 + a discounted popular item stays under 2
    assert counted.edges == 1  # u0-u1 shared two distinct items
    with pytest.raises(InputError, match="weighting"):
        svc.params(weighting="sum")


def test_exports_are_safe_for_spreadsheets_and_xml(svc: PatternService, tmp_path: Path) -> None:
    rows = [
        {"post_id": f"p{k}{a}", "account_id": acc, "account_name": name, "t": t, "text": f"m{k}"}
        for k in range(2)
        for a, (acc, name, t) in enumerate(
            [("=cmd|calc", 'Ann <b> & "co"\x01', 10 * k), ("bob", "Bob\nSmith", 10 * k + 1)]
        )
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    mapping = {"created_at": "t"}
    result = svc.analyze_file(
        path, scope="s", mapping=mapping, params=svc.params(min_shared=1, min_accounts=2)
    )
    svc.export(result, scope="s", out_dir=tmp_path / "out")
    with (tmp_path / "out" / "edges.csv").open() as f:
        (edge,) = list(csv.DictReader(f))
    assert {edge["source"], edge["target"]} == {"'=cmd|calc", "bob"}  # no formula
    assert "\n" not in edge["source_name"] + edge["target_name"]
    graph = igraph.Graph.Read_GraphML(str(tmp_path / "out" / "graph.graphml"))
    assert sorted(graph.vs["account_id"]) == ["=cmd|calc", "bob"]  # XML keeps the data
    assert 'Ann <b> & "co"' in graph.vs["label"] and graph.ecount() == 1


def test_timeline_signals_at_one_moment_all_show() -> None:
    # The same text with the same link at one moment drew two markers on one spot: the
    # identical-text one never showed. Each present signal gets its own lane and shape.
    from patterns.plots import MARKERS, signal_lanes

    lanes = signal_lanes({"text", "url", "hashtags"})
    assert set(lanes) == {"text", "url", "hashtags"}
    offsets = sorted(lanes.values())
    assert len(set(offsets)) == 3 and offsets[0] < 0 < offsets[-1]
    assert all(abs(o) < 0.5 for o in offsets)  # still inside the account's row
    assert signal_lanes({"url"}) == {"url": 0.0}
    assert len(set(MARKERS.values())) == len(MARKERS)


def test_a_dataset_replaced_by_another_file_of_its_name_says_so(
    svc: PatternService, tiny: Path, tmp_path: Path
) -> None:
    # campaignA/posts.csv and campaignB/posts.csv: the second silently replaced the first.
    first, second = tmp_path / "a" / "tiny.csv", tmp_path / "b" / "tiny.csv"
    for p in (first, second):
        p.parent.mkdir()
    first.write_bytes(tiny.read_bytes())
    second.write_bytes(tiny.read_bytes() + b"p99,zz,2024-01-01T00:00:00Z,late post,,,,,\r\n")
    assert not any("replaced" in n for n in svc.analyze_file(first, scope="s").notes)
    notes = svc.analyze_file(second, scope="s").notes
    assert (
        notes[0]
        == f"replaced dataset 'tiny', which held {first.resolve()} (another name keeps both)"
    )
    assert not any("replaced" in n for n in svc.analyze_file(second, scope="s").notes)
    stored = svc.latest_analyses(scope="s")  # the note is said once, not kept with the analysis
    assert stored and not any("replaced" in n for a in stored for n in a.notes)


def test_a_gzipped_file_is_named_as_the_file_it_holds(
    svc: PatternService, tiny: Path, tmp_path: Path
) -> None:
    # harbor_posts.csv.gz became dataset 'harbor_posts.csv', harbor_posts.csv 'harbor_posts'.
    import gzip

    from patterns.store import default_name

    packed = tmp_path / "tiny.csv.gz"
    packed.write_bytes(gzip.compress(tiny.read_bytes()))
    assert svc.analyze_file(packed, scope="s").dataset == "tiny"
    assert default_name(Path("a/posts.jsonl.GZ")) == "posts"
    assert default_name(Path("export.zip")) == "export"
    assert default_name(Path("posts.2024.csv")) == "posts.2024"


def test_items_of_one_post_are_numbered_by_their_content(
    svc: PatternService, tmp_path: Path
) -> None:
    # Items were numbered by (signal, first post) alone: the links of one post came out in
    # either order from run to run, and so did every listing by item (account ties).
    path = tmp_path / "links.csv"
    links = " ".join(f"https://{c}.example/x" for c in "zqamd")
    path.write_text(
        "post_id,account_id,created_at,text,urls\n"
        f"p1,u1,2024-01-01T00:00:00Z,one,{links}\n"
        f"p2,u2,2024-01-01T00:00:05Z,two,{links}\n"
    )
    svc.analyze_file(path, scope="s", params=svc.params(min_shared=1, min_accounts=2))
    with svc._open(svc._store("s"), "links") as con:
        rows = con.execute("SELECT label FROM items WHERE signal = 'url' ORDER BY item")
        labels = [r[0] for r in rows.fetchall()]
    assert labels == sorted(labels) and len(labels) == 5
