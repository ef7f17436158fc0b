"""The Dask engine gives exactly the single-process engine's edges and evidence: a property
test over generated occurrences (window edges, hot keys split by time, repeats by one
account, near-identical variants) at 1, 2 and 7 partitions on a 2-worker local cluster;
the same clusters end to end; shards travel through shared storage (a folder or fsspec URL
every worker reads), not through the scheduler; one-line failures for a missing scheduler,
unreadable shared storage and a dead worker; a worker process killed mid-analysis is
retried with the same result."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli_output import error_text
from common.errors import Hint, InputError
from patterns.graph import NEAR, build_edges, collect_co_posts, item_weights
from patterns.params import EngineChoice
from patterns.service import PatternService
from patterns.signals import SIGNAL_CODE, Occurrences
from tests.patterns.test_service import assert_every_stage_moves

distributed = pytest.importorskip("distributed")

WINDOW = 60.0


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared storage of the tests' clusters: a folder every local worker sees."""
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from patterns.distributed import local_cluster

    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        yield c


# Times on a grid of multiples of the window and a little either side: pairs exactly at
# the window (kept), just past it (dropped) and across any time-bucket edge.
times = st.sampled_from([0.0, 1.0, 59.0, 60.0, 61.0, 119.0, 120.0, 121.0, 180.0, 240.0, 600.0])
row = st.tuples(
    st.integers(0, 5),  # item: few, so some are hot
    times,
    st.integers(0, 7),  # account: few, so repeats by one account happen
    st.integers(0, 2),  # exact-text variant inside an item (near-identical when different)
)


def occurrences(rows: list[tuple[int, float, int, int]], near: bool) -> Occurrences:
    item = np.array([r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] for r in rows], dtype=np.float64)
    aid = np.array([r[2] for r in rows], dtype=np.int32)
    sub = np.array([r[3] for r in rows], dtype=np.int32)
    pid = np.arange(len(rows), dtype=np.int32)
    order = np.lexsort((pid, t, item))
    signal = np.array([SIGNAL_CODE["text"]] * 3 + [SIGNAL_CODE["url"], NEAR, 6], dtype=np.int8)
    accounts = np.array([len({r[2] for r in rows if r[0] == k}) for k in range(6)], dtype=np.int32)
    return Occurrences(
        item=item[order],
        t=t[order],
        aid=aid[order],
        pid=pid[order],
        sub=sub[order] if near else np.full(len(rows), -1, dtype=np.int32),
        item_signal=signal,
        item_accounts=accounts,
        split_near=near,
    )


def assert_same(a: Any, b: Any) -> None:
    for field in a.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row, min_size=0, max_size=60), near=st.booleans(), hot=st.integers(1, 8))
def test_same_edges_and_evidence_as_the_single_engine(
    client: Any, shared: Path, rows: list[tuple[int, float, int, int]], near: bool, hot: int
) -> None:
    from patterns.distributed import dask_co_posts

    occ = occurrences(rows, near)
    weights = item_weights(occ.item_accounts, 8, 0.01, 2)  # some items discounted
    want_edges, want_ev = build_edges(occ, collect_co_posts(occ, WINDOW), weights, 1.0)
    for partitions in (1, 2, 7):
        engine = EngineChoice(
            name="dask", partitions=partitions, hot_rows=hot, shared_dir=str(shared)
        )
        chunks = dask_co_posts(occ, WINDOW, engine, client=client)
        edges, ev = build_edges(occ, chunks, weights, 1.0)
        assert_same(edges, want_edges)
        assert_same(ev, want_ev)


def test_hot_items_are_split_and_no_pair_across_a_bucket_edge_is_lost() -> None:
    from patterns.distributed import pair_shard, plan_shards

    # One item, posts every 50 s by alternating accounts: with 3 rows a bucket the item is
    # cut into buckets, and pairs 50 s apart straddle every bucket edge.
    rows = [(0, 50.0 * k, k % 4, -1) for k in range(40)]
    occ = occurrences(rows, near=False)
    shards = plan_shards(occ, WINDOW, partitions=3, hot_rows=3)
    assert sum(int(s.item.shape[0]) for s in shards) > 3  # many pieces of the one item
    found: list[tuple[int, int]] = []
    for shard in shards:
        cp = pair_shard(shard, WINDOW)
        found += zip(cp.i.tolist(), cp.j.tolist(), strict=True)
    assert sorted(found) == [(k, k + 1) for k in range(39)]  # each neighbour pair, once


def test_a_shard_reads_back_from_parquet_as_written() -> None:
    from patterns.distributed import plan_shards, shard_table, table_shard

    rows = [(k % 3, 50.0 * k, k % 4, k % 2) for k in range(30)]
    for shard in plan_shards(occurrences(rows, near=True), WINDOW, partitions=2, hot_rows=3):
        assert_same(table_shard(shard_table(shard), split_near=True), shard)


def test_workers_read_their_shards_from_shared_storage(
    client: Any, svc: PatternService, tiny: Path, tmp_path: Path
) -> None:
    """Every shard is a Parquet file in the shared dir while the workers pair, between them
    they hold every occurrence once (copies aside), and the run's folder is gone after."""
    import pyarrow.parquet as pq

    shared = tmp_path / "shared"
    seen: dict[str, int] = {}

    def look(stage: str, done: int, total: int | None) -> None:
        if stage == "pairing" and done == 0 and total:
            (run,) = shared.iterdir()
            files = sorted(run.glob("shard-*.parquet"))
            seen["files"], seen["total"] = len(files), total
            tables = [pq.read_table(f) for f in files]
            native = [
                r
                for t in tables
                for r, n in zip(t["row"].to_pylist(), t["native"].to_pylist(), strict=True)
                if n
            ]
            seen["rows"], seen["distinct"] = len(native), len(set(native))

    single = svc.analyze_file(tiny, scope="s", params=svc.params(min_shared=1))
    engine = EngineChoice(
        name="dask", scheduler=client.scheduler.address, partitions=3, shared_dir=str(shared)
    )
    got = svc.analyze_dataset(
        "tiny", scope="s", params=svc.params(min_shared=1), engine=engine, progress=look
    )
    assert got.to_json() == single.to_json()
    assert seen["files"] == seen["total"] >= 1
    assert seen["rows"] == seen["distinct"] > 0  # each occurrence in exactly one shard
    assert list(shared.iterdir()) == []  # the run's folder is removed


def test_the_default_shared_dir_is_in_the_data_dir(svc: PatternService) -> None:
    assert svc.engine("dask").shared_dir == str(svc.root / "dask-shards")
    assert svc.engine("dask", shared_dir="s3://bucket/x").shared_dir == "s3://bucket/x"


def test_a_shared_dir_without_its_filesystem_fails_in_one_line(
    client: Any, svc: PatternService, tiny: Path
) -> None:
    svc.analyze_file(tiny, scope="s")
    engine = EngineChoice(
        name="dask", scheduler=client.scheduler.address, shared_dir="nosuchfs://bucket/x"
    )
    with pytest.raises(InputError, match=r"^the Dask shared dir nosuchfs://bucket/x cannot be"):
        svc.analyze_dataset("tiny", scope="s", engine=engine)


def test_a_shard_a_worker_cannot_see_fails_in_one_line(client: Any, tmp_path: Path) -> None:
    from patterns.distributed import _pair_on_cluster

    missing = str(tmp_path / "elsewhere" / "shard-00000.parquet")
    with pytest.raises(InputError, match=r"worker cannot read its shard ") as err:
        _pair_on_cluster(client, [missing], WINDOW, False, lambda *_: None)
    assert missing in str(err.value) and "\n" not in str(err.value)
    # The hint names the option and the setting; the CLI words the option as its flag.
    assert err.value.hints == (
        Hint.option("shared_dir"),
        Hint.setting("CHORUS_ANALYSIS__DASK_SHARED_DIR"),
    )
    assert "(--shared-dir, CHORUS_ANALYSIS__DASK_SHARED_DIR)" in error_text(err.value)


@pytest.mark.shared
def test_same_clusters_end_to_end(client: Any, svc: PatternService, shared_dir: Path) -> None:
    real = shared_dir / "data/real"
    cases = [
        (real / "coortweet_examples/russian_coord_tweets.csv", "repost"),
        (real / "ira_troll_tweets_2016oct/tweets.csv", None),
    ]
    engine = EngineChoice(name="dask", scheduler=client.scheduler.address)
    for path, signals in cases:
        if not path.exists():
            pytest.skip(f"{path} is absent")
        params = svc.params(signals=signals, min_shared=1)
        single = svc.analyze_file(path, scope="s", name=path.stem, params=params)
        dask = svc.analyze_dataset(path.stem, scope="s", params=params, engine=engine)
        assert dask.to_json() == single.to_json()
        assert (dask.edges, dask.linked_accounts) == (single.edges, single.linked_accounts)


def test_progress_moves_with_the_dask_engine(client: Any, svc: PatternService, tiny: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    engine = replace(svc.engine("dask"), scheduler=client.scheduler.address)
    svc.analyze_file(tiny, scope="s", engine=engine, progress=lambda *a: seen.append(a))
    stages = ("signals", "connecting to Dask", "sharding", "pairing", "merging shards")
    assert_every_stage_moves(seen, (*stages, "clustering", "saving"))


def test_scheduler_that_does_not_answer_fails_in_one_line(svc: PatternService, tiny: Path) -> None:
    svc.analyze_file(tiny, scope="s")
    engine = EngineChoice(name="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(InputError, match=r"^no Dask scheduler answers at tcp://127\.0\.0\.1:9"):
        svc.analyze_dataset("tiny", scope="s", engine=engine)


@pytest.mark.parametrize("address", ["not an address", "garbage://x:1"])
def test_a_malformed_scheduler_address_fails_in_one_line(
    svc: PatternService, tiny: Path, address: str
) -> None:
    svc.analyze_file(tiny, scope="s")
    engine = EngineChoice(name="dask", scheduler=address)
    with pytest.raises(InputError, match=f"^the Dask scheduler address {address} is not valid"):
        svc.analyze_dataset("tiny", scope="s", engine=engine)


def _die(*_args: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # the worker process is killed mid-task


def test_a_killed_worker_fails_the_analysis_and_keeps_the_previous_one(
    svc: PatternService, tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cloudpickle
    import dask

    import patterns.distributed as engine_module

    before = svc.analyze_file(tiny, scope="s")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # _die travels by value
    monkeypatch.setattr(engine_module, "pair_shard_file", _die)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        engine_module.local_cluster(1) as cluster,
    ):
        engine = replace(svc.engine("dask"), scheduler=cluster.scheduler_address)
        params = svc.params(min_shared=1)
        with pytest.raises(InputError, match=r"Dask cluster failed during pairing \(KilledWorker"):
            svc.analyze_dataset("tiny", scope="s", params=params, engine=engine)
    # Nothing was saved: the latest analysis is still the first one.
    (latest,) = svc.clusters("s", "tiny")
    assert latest.analysis_id == before.analysis_id and latest.to_json() == before.to_json()
    assert list(Path(engine.shared_dir).iterdir()) == []  # no shards left behind


def test_workers_killed_mid_analysis_are_retried_with_the_same_result(
    svc: PatternService, tiny: Path
) -> None:
    """Both worker processes are killed (SIGKILL) once the shards are submitted: their
    nannies start new ones, Dask runs the lost tasks again, and the analysis is the single
    engine's."""
    from patterns.distributed import local_cluster

    params = svc.params(min_shared=1)
    single = svc.analyze_file(tiny, scope="s", params=params)
    killed: list[int] = []
    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        victims = sorted(c.run(os.getpid).values())

        def kill_workers(stage: str, done: int, total: int | None) -> None:
            if stage == "pairing" and done == 0 and total and not killed:
                for pid in victims:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

        engine = replace(svc.engine("dask"), scheduler=cluster.scheduler_address, partitions=7)
        got = svc.analyze_dataset(
            "tiny", scope="s", params=params, engine=engine, progress=kill_workers
        )
        c.wait_for_workers(2, timeout=60)
        now = set(c.run(os.getpid).values())
    assert killed == victims and not now & set(victims)  # they really died
    assert got.to_json() == single.to_json()
