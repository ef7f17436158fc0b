"""`python -m bot.cli` is a way people script the CLI: it must run it, not import it and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run_module(module: str, *argv: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHORUS_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", module, *argv], env=env, capture_output=True, text=True, timeout=300
    )


def test_python_m_bot_cli_runs_a_command(cli_env: Path) -> None:
    done = _run_module("bot.cli", "sources", "list", data=cli_env)
    assert done.returncode == 0, done.stderr
    assert "bundled demo" in done.stdout  # the command ran: it listed the catalog
    assert (cli_env / "catalog.sqlite3").exists()


def test_python_m_bot_cli_fails_on_a_bad_command(cli_env: Path) -> None:
    done = _run_module("bot.cli", "no-such-command", data=cli_env)
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
