"""Killing a child process at a chosen moment, for the crash-safety tests."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def kill_when_paused(args: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> None:
    """Run `args`, wait until it prints PAUSED (it then sleeps mid-work), and SIGKILL it.

    The child announces the moment itself so the kill lands inside the step under test,
    not before it or after it, whatever the machine's speed."""
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "PAUSED", proc.stderr.read() if proc.stderr else line
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
