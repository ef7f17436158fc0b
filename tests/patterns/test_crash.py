"""SIGKILL in the middle of a load or an analysis: after a restart nothing partial is
visible and everything stored before is intact."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from patterns.service import PatternService
from tests.crash_support import kill_when_paused
from tests.patterns.conftest import FIXTURES, make_service

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.patterns.conftest import make_service

    root, job, stage, step, path = sys.argv[1:6]
    svc = make_service(Path(root))

    def progress(s, done, total):
        if s == stage and done == int(step):
            print("PAUSED", flush=True)
            time.sleep(120)  # killed here, inside the load or the analysis transaction

    if job == "analyze":
        svc.analyze_dataset("base", scope="s", params=svc.params(window_s=100), progress=progress)
    else:
        svc.analyze_file(Path(path), scope="s", name=job, progress=progress)
    print("FINISHED", flush=True)
    """
)


def kill_midway(root: Path, job: str, stage: str, step: int, path: Path | None = None) -> None:
    kill_when_paused(
        [sys.executable, "-c", CHILD, str(root), job, stage, str(step), str(path or "")],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.fixture
def stored(tmp_path: Path) -> tuple[PatternService, Path, dict[str, object]]:
    root = tmp_path / "datasets"
    svc = make_service(root)
    before = svc.analyze_file(FIXTURES / "tiny.csv", scope="s", name="base").to_json()
    return svc, root, before


def assert_intact(root: Path, before: dict[str, object]) -> PatternService:
    svc = make_service(root)  # a fresh process' view: nothing cached
    assert [d.name for d in svc.datasets("s")] == ["base"]
    (latest,) = svc.latest_analyses("s", "base")
    assert latest.to_json() == before and latest.params.window_s == 60
    cid = latest.clusters[0].id
    assert svc.cluster(cid, scope="s").id == cid
    return svc


def test_killed_analysis_leaves_previous_results(
    stored: tuple[PatternService, Path, dict[str, object]],
) -> None:
    _svc, root, before = stored
    kill_midway(root, "analyze", "saving", 3)  # edges and evidence written, not committed
    svc = assert_intact(root, before)
    # The data is usable: the same analysis now runs to the end.
    redo = svc.analyze_dataset("base", scope="s", params=svc.params(window_s=100))
    assert len(redo.clusters) == 2 and svc.latest_analyses("s", "base")[0].params.window_s == 100


@pytest.mark.slow
def test_killed_loads_leave_no_dataset_and_keep_the_old_one(
    stored: tuple[PatternService, Path, dict[str, object]], tmp_path: Path
) -> None:
    _svc, root, before = stored
    other = tmp_path / "other.csv"
    other.write_text((FIXTURES / "tiny.csv").read_text().replace("p0", "q0"))
    kill_midway(root, "other", "storing", 2, other)  # a new name, killed while storing
    kill_midway(root, "base", "storing", 2, other)  # replacing "base", killed while storing
    svc = assert_intact(root, before)
    # The leftovers of the dead processes are invisible and cleaned on the next load.
    svc.analyze_file(other, scope="s", name="other")
    names = sorted(p.name for p in root.rglob("*") if p.is_file())
    assert len(names) == 2 and all(n.startswith("d") and n.endswith(".duckdb") for n in names)
    assert [d.name for d in svc.datasets("s")] == ["base", "other"]
