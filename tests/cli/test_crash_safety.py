"""Issue 5.2: a SIGKILL in the middle of an ingest loses nothing and leaves nothing half-done."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import RunCli, snapshot
from tests.crash_support import kill_when_paused


def _counts(db: Path) -> tuple[int, int]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            rows = dict(conn.execute("SELECT status, count(*) FROM sources GROUP BY status"))
    except sqlite3.OperationalError:
        return 0, 0
    return rows.get("ready", 0), rows.get("pending", 0)


@pytest.mark.slow
def test_sigkill_mid_ingest_then_doctor(run_cli: RunCli, cli_env: Path, tmp_path: Path) -> None:
    before_note = tmp_path / "before.txt"
    before_note.write_text("Stored before the crash: 12 accounts shared one link.")
    assert run_cli("ingest", str(before_note))[0] == 0
    stored_before = snapshot(cli_env)

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        body = " ".join(
            f"Report {i} paragraph {j}: accounts posted the same link." for j in range(120)
        )
        (folder / f"report-{i:02}.txt").write_text(body)

    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(folder)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = cli_env / "catalog.sqlite3"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, pending = _counts(db)
            if ready >= 4 and pending:  # a source is half-written right now
                break
            time.sleep(0.02)
        else:
            pytest.fail("the ingest never got going")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    # Nothing half-done is visible, even before any repair.
    with sqlite3.connect(db) as conn:
        half = {r[0] for r in conn.execute("SELECT id FROM sources WHERE status != 'ready'")}
    assert half
    code, out, _ = run_cli("sources", "list", "--json")
    listed = {s["id"] for s in json.loads(out)["sources"]}
    assert code == 0 and listed and not listed & half

    code, out, _ = run_cli("doctor", "--json")
    assert code == 0
    report = json.loads(out)
    assert any("half-added" in p for p in report["problems"]), report
    assert report["repairs"]
    code, out, _ = run_cli("doctor", "--json")
    assert json.loads(out)["consistent"] is True

    # Everything stored before the crash is intact, row for row and vector for vector.
    after = snapshot(cli_env)
    for rows_before, rows_after in zip(stored_before, after, strict=True):
        assert set(rows_before) <= set(rows_after)
    # Every source that survived is complete: its chunks all have vectors.
    sources, chunks, vectors = after
    assert {c[1] for c in chunks} == set(vectors)
    assert len(sources) >= 4  # demo + the note + the reports completed before the kill


ANALYZE_CHILD = """
import sys, time
from pathlib import Path
from bot.assistant import Assistant, Requester
from bot.settings import load_settings

path, stage = sys.argv[1:3]
assistant = Assistant(load_settings())

def progress(s, done, total):
    if s == stage:
        print("PAUSED", flush=True)
        time.sleep(120)  # killed here

req = Requester.local()
assistant.analyze(path, req, params=assistant.analysis_params(window_s=30), progress=progress)
"""


def _kill_analysis_at(stage: str, posts: Path, cwd: Path) -> None:
    kill_when_paused(
        [sys.executable, "-c", ANALYZE_CHILD, str(posts), stage], cwd=cwd, env=os.environ
    )


def test_sigkill_mid_analysis_then_doctor(run_cli: RunCli, cli_env: Path, tmp_path: Path) -> None:
    from tests.cli.test_analysis_commands import write_posts

    posts = tmp_path / "campaign.csv"
    write_posts(posts)
    code, out, _ = run_cli("analyze", str(posts), "--json")
    assert code == 0
    before = json.loads(out)
    stored_before = snapshot(cli_env)

    # Killed while the new analysis is being saved: the previous one is untouched.
    _kill_analysis_at("saving", posts, tmp_path)
    assert json.loads(run_cli("clusters", "--json")[1]) == before
    assert snapshot(cli_env) == stored_before
    assert json.loads(run_cli("doctor", "--json")[1])["consistent"] is True

    # The analysis indexes nothing in the reporting catalog any more: no summaries to lose.
    code, out, _ = run_cli("sources", "list", "--json")
    assert not [s for s in json.loads(out)["sources"] if "cluster" in s["title"].lower()]
