"""Hostile values inside otherwise good datasets: timestamps at the edge of time, ids that
are spreadsheet formulas or hold control characters. The analysis and every export still
work, and cells cannot run as formulas."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb
import igraph
import numpy as np
import pytest

import patterns.service as service_module
from common.errors import InputError, LimitError
from patterns import exports, graph
from patterns.params import AnalysisConfig
from patterns.service import PatternService
from patterns.windows import co_post_bound

# Three accounts posting the same text and link within seconds: one cluster.
GOOD_ROWS = [
    f"g{i},{acc},2024-01-01T00:00:{i:02d}Z,Same campaign text,https://x.example/a"
    for i, acc in enumerate(["a1", "a2", "a3", "a1", "a2", "a3"])
]


def _csv(tmp_path: Path, rows: list[str], name: str = "posts.csv") -> Path:
    path = tmp_path / name
    path.write_text("post_id,account_id,created_at,text,urls\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "stamp",
    [
        "0001-01-01T00:00:00Z",  # Go's zero time
        "0001-01-01 00:00:00",
        "-62135596800",  # the same, as epoch seconds
        "9999-12-31T23:59:59Z",
        "99999999999",  # epoch seconds in year 5138
        "253402300800",  # 10000-01-01 as epoch seconds, read as milliseconds: 1978
        "-99999999999999",
        "1e300",
        "0200-05-05T00:00:00Z",
    ],
)
def test_timestamps_at_the_edges_of_time_never_break_the_analysis(
    svc: PatternService, tmp_path: Path, stamp: str
) -> None:
    rows = [
        *GOOD_ROWS,
        f"odd1,a1,{stamp},Same campaign text,https://x.example/a",
        f"odd2,a4,{stamp},Same campaign text,https://x.example/a",
    ]
    result = svc.analyze_file(_csv(tmp_path, rows), scope="s", params=svc.params(min_accounts=2))
    assert result.clusters
    listed = svc.latest_analyses("s")  # reads back what was stored: /clusters must keep working
    assert listed and listed[0].clusters[0].id == result.clusters[0].id
    detail = svc.cluster(result.clusters[0].id, scope="s")
    assert detail.summary_text()
    json.dumps(detail.to_json())
    for c in result.clusters:
        assert c.first_seen is not None and int(str(c.to_json()["first_seen"])[:4]) >= 1000


def test_year_one_counts_as_unreadable(svc: PatternService, tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "z,a9,0001-01-01T00:00:00Z,other,"]
    result = svc.analyze_file(_csv(tmp_path, rows), scope="s")
    assert result.load is not None and result.load.bad_timestamps == 1
    assert "0001-01-01" in result.load.bad_timestamp_examples[0]


HOSTILE_IDS = [
    '=HYPERLINK("http://evil")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "a\x07b\x1b[31m",
    "c\x7fd\x85e",
]


def test_exports_neutralise_formulas_and_strip_control_characters(
    svc: PatternService, tmp_path: Path
) -> None:
    rows = []
    for k in range(3):
        for i, acc in enumerate(HOSTILE_IDS):
            quoted = '"' + acc.replace('"', '""') + '"'
            rows.append(f"h{k}{i},{quoted},2024-01-01T00:0{k}:{i:02d}Z,Same text {k},")
    path = tmp_path / "posts.csv"
    path.write_text("post_id,account_id,created_at,text,urls\n" + "\n".join(rows) + "\n")
    result = svc.analyze_file(path, scope="s", params=svc.params(min_accounts=2))
    out = tmp_path / "out"
    files = svc.export(result, scope="s", out_dir=out)
    names = ["clusters.json", "edges.csv", "evidence.csv", "graph.graphml"]
    assert sorted(p.name for p in files) == names
    assert sorted(p.name for p in out.iterdir()) == names
    with (out / "edges.csv").open(newline="") as f:
        edges = list(csv.DictReader(f))
    assert edges
    for edge in edges:
        for value in edge.values():
            assert not value.startswith(("=", "+", "-", "@")), value
            assert not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value), repr(value)
    ids = {e["source"] for e in edges} | {e["target"] for e in edges}
    assert '\'=HYPERLINK("http://evil")' in ids and "'-2+3" in ids and "a b [31m" in ids
    graph = igraph.Graph.Read_GraphML(str(out / "graph.graphml"))
    assert "ab[31m" in graph.vs["account_id"]  # XML cannot hold the escape: dropped


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under root (hidden ones too), by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _exported_then_analysed_again(svc: PatternService, tmp_path: Path) -> tuple[Path, Any]:
    """An export folder holding one analysis' files, and a second analysis to export."""
    first = svc.analyze_file(
        _csv(tmp_path, GOOD_ROWS), scope="s", params=svc.params(min_accounts=2)
    )
    out = tmp_path / "out"
    svc.export(first, scope="s", out_dir=out)
    again = svc.analyze_file(
        _csv(tmp_path, GOOD_ROWS[:-1]), scope="s", params=svc.params(min_accounts=2)
    )
    return out, again


def test_a_failed_export_is_one_line_and_keeps_the_folder_as_it_was(
    svc: PatternService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, again = _exported_then_analysed_again(svc, tmp_path)
    (out / "notes.txt").write_text("the user's own file")
    before = _tree(out)
    real = exports._write_graphml

    def broken(con: Any, analysis_id: str, path: Path) -> Path:  # the last file written
        real(con, analysis_id, path)
        with path.open("a") as f:
            f.write("<half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "_write_graphml", broken)
    with pytest.raises(InputError, match=r"^cannot write the exports to .*out: No space left"):
        svc.export(again, scope="s", out_dir=out)
    assert _tree(out) == before  # the earlier export and notes.txt, and nothing else
    assert not [p for p in tmp_path.iterdir() if ".chorus-export-" in p.name]
    fresh = tmp_path / "fresh" / "out"
    with pytest.raises(InputError):
        svc.export(again, scope="s", out_dir=fresh)
    assert not fresh.exists() and list(fresh.parent.iterdir()) == []

    monkeypatch.setattr(exports, "_write_graphml", real)
    files = svc.export(again, scope="s", out_dir=out)
    assert sorted(p.name for p in out.iterdir()) == sorted(["notes.txt", *(p.name for p in files)])
    assert (out / "clusters.json").read_bytes() != before["clusters.json"]


def test_a_killed_exports_staging_folders_are_removed_by_the_next_export(
    svc: PatternService, tmp_path: Path
) -> None:
    """A SIGKILLed export leaves its hidden staging folder (a copy of every file) in the
    export folder or beside a new one; the next export removes it once its process is gone
    and it is an hour old, and keeps a live or recent one."""
    out, again = _exported_then_analysed_again(svc, tmp_path)
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    hour_ago = time.time() - 2 * 3600
    left_inside = out / f".chorus-export-{dead}-0123abcd"
    left_beside = tmp_path / f".{out.name}.chorus-export-{dead}-89abcdef"
    recent = out / f".chorus-export-{dead}-00000000"
    alive = out / f".chorus-export-{os.getpid()}-11111111"
    for folder in (left_inside, left_beside, recent, alive):
        folder.mkdir()
        (folder / "evidence.csv").write_text("half")
    for folder in (left_inside, left_beside, alive):
        os.utime(folder, (hour_ago, hour_ago))
    svc.export(again, scope="s", out_dir=out)
    assert not left_inside.exists() and not left_beside.exists()
    assert recent.exists() and alive.exists()


def test_a_rename_that_fails_midway_puts_the_earlier_files_back(
    svc: PatternService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, again = _exported_then_analysed_again(svc, tmp_path)
    before = _tree(out)
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == "graph.graphml" and ".chorus-export-" in str(src):
            raise OSError(5, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputError, match=r"^cannot write the exports to .*out: Input/output"):
        svc.export(again, scope="s", out_dir=out)
    assert _tree(out) == before


# --------------------------------------------------------------------------- memory bounds


def _service(root: Path, **options: Any) -> PatternService:
    limits: dict[str, Any] = {
        "max_rows": 1000,
        "max_bytes": 10_000_000,
        "max_field_chars": 100_000,
        "max_columns": 50,
    }
    return PatternService(root, AnalysisConfig(), **(limits | options))


def test_a_post_with_too_many_items_is_refused_when_read(tmp_path: Path) -> None:
    svc = _service(
        tmp_path / "d",
        max_items_per_post=100,
    )
    tags = " ".join(f"h{i}" for i in range(101))
    path = tmp_path / "tags.csv"
    path.write_text(
        "post_id,account_id,created_at,text,hashtags\n"
        "p1,a1,2024-01-01T00:00:00Z,ok,h1 h2\n"
        f"p2,a2,2024-01-01T00:00:01Z,many,{tags}\n"
    )
    with pytest.raises(LimitError) as caught:
        svc.analyze_file(path, scope="s")
    message = str(caught.value)
    assert message == (
        "tags.csv line 3, column 'hashtags': 101 items, over the limit of 100 per post "
        "(CHORUS_LIMITS__MAX_ITEMS_PER_POST)"
    )
    assert svc.datasets("s") == []


def test_pairs_are_counted_and_refused_before_any_is_built(
    svc: PatternService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        f"p{a}-{u},a{a},2024-01-01T00:00:{(a + u) % 60:02d}Z,post {a} {u},https://x.example/{u}"
        for a in range(40)
        for u in range(5)
    ]
    monkeypatch.setattr(graph, "MAX_PAIR_ITEMS", 3_000)  # 40 accounts: 780 pairs x 5 links

    def never(*_: object) -> None:
        raise AssertionError("pairs were built before the limit was checked")

    monkeypatch.setattr(graph, "_co_posts", never)
    with pytest.raises(LimitError) as caught:
        svc.analyze_file(_csv(tmp_path, rows), scope="s", params=svc.params(signals=["url"]))
    assert str(caught.value) == (
        "more than 3,000 account pairs share items within the window (the pair limit, "
        "counted before pairs are built); try a smaller window or fewer signals"
    )


def test_the_pair_bound_counts_repeats_of_one_pair_once() -> None:
    # Two accounts posting one item 500 times each within the window: 1 pair, not 499,500.
    item = np.zeros(1000, dtype=np.int64)
    t = np.arange(1000, dtype=np.float64) * 0.01
    accounts = np.array([2], dtype=np.int32)
    assert co_post_bound(item, t, 60.0, accounts, 10) == 1
    # Four accounts, two items, all within the window: 6 pairs each.
    item = np.repeat(np.arange(2, dtype=np.int64), 4)
    t = np.tile(np.arange(4, dtype=np.float64), 2)
    assert co_post_bound(item, t, 60.0, np.array([4, 4], dtype=np.int32), 100) == 12
    assert co_post_bound(item, t, 1.0, np.array([4, 4], dtype=np.int32), 100) == 6


def test_out_of_memory_in_the_analysis_is_one_line_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = _service(
        tmp_path / "d",
        memory_limit="300MB",
    )

    def exhausted(*_: object, **__: object) -> None:
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    monkeypatch.setattr(service_module, "run_analysis", exhausted)
    with pytest.raises(LimitError) as caught:
        svc.analyze_file(_csv(tmp_path, GOOD_ROWS), scope="s")
    assert str(caught.value) == (
        "analysing posts needs more memory than allowed (DuckDB's limit is 300MB, "
        "CHORUS_LIMITS__ANALYSIS_MEMORY); try a smaller window or fewer signals"
    )


def test_memory_limit_and_spill_folder_reach_duckdb(tmp_path: Path) -> None:
    svc = _service(
        tmp_path / "d",
        memory_limit="300MB",
        temp_dir=tmp_path / "spill",
    )
    svc.analyze_file(_csv(tmp_path, GOOD_ROWS), scope="s")
    store = svc._store("s")
    con = store.connect(store.require("posts").path)
    try:
        limit, temp = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone() or ("", "")
    finally:
        con.close()
    assert limit in ("286.1 MiB", "300.0 MB") and str(temp).startswith(str(tmp_path / "spill"))
