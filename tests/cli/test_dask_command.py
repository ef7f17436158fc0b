"""`chorus analyze --engine dask` as a user runs it: a local cluster, shards through the
--shared-dir folder, the same exports as the single-process engine; a scheduler that does
not answer is one line naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import RunCli
from tests.cli.test_analysis_commands import write_posts

pytest.importorskip("distributed")

EXPORTS = ("clusters.json", "edges.csv", "evidence.csv")


def test_dask_engine_writes_the_same_exports(run_cli: RunCli, tmp_path: Path) -> None:
    posts = tmp_path / "campaign.csv"
    write_posts(posts)
    code, _, err = run_cli("analyze", str(posts), "--out", str(tmp_path / "single"))
    assert code == 0, err
    shared = tmp_path / "shared"
    code, _, err = run_cli(
        "analyze",
        str(posts),
        "--engine",
        "dask",
        "--workers",
        "2",
        "--shared-dir",
        str(shared),
        "--out",
        str(tmp_path / "dask"),
    )
    assert code == 0, err
    for name in EXPORTS:
        single, dask = (tmp_path / d / name for d in ("single", "dask"))
        if name == "clusters.json":  # the same analysis, saved again: only its time differs
            a, b = json.loads(single.read_text()), json.loads(dask.read_text())
            for blob in (a, b):
                blob["analysis"].pop("created_at")
                for detail in blob["details"]:
                    detail.pop("analysed_at")
            assert a == b
        else:
            assert dask.read_bytes() == single.read_bytes(), name
    assert len(json.loads((tmp_path / "dask/clusters.json").read_text())["clusters"]) == 1
    assert list(shared.iterdir()) == []  # the run's shards are removed


def test_a_scheduler_that_does_not_answer_is_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    posts = tmp_path / "campaign.csv"
    write_posts(posts)
    code, out, err = run_cli(
        "analyze", str(posts), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert code != 0 and out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "no Dask scheduler answers at tcp://127.0.0.1:9" in lines[0]
