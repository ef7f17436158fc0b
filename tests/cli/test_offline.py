"""Issue 2.3: ingest + ask + check touch no network at all."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import RunCli
from tests.conftest import NetworkBlocked


def test_the_guard_blocks_every_non_loopback_socket() -> None:
    sock = socket.socket()
    try:
        with pytest.raises(NetworkBlocked):
            sock.connect(("1.1.1.1", 443))
        with pytest.raises(NetworkBlocked):
            socket.getaddrinfo("example.com", 443)
    finally:
        sock.close()


def test_ingest_ask_check_in_process_attempt_no_connection(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []
    guarded = socket.socket.connect

    def spy(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        guarded(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    note = tmp_path / "note.txt"
    note.write_text("Moderators found 40 accounts that reposted the same link within a minute.")
    assert run_cli("ingest", str(note))[0] == 0
    code, out, _ = run_cli("ask", "--json", "How many accounts reposted the same link?")
    assert code == 0 and "40 accounts" in json.loads(out)["answer"]
    assert run_cli("check", "--json", "40 accounts reposted a link")[0] == 0
    assert attempts == []


def _no_network_namespace() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _no_network_namespace(), reason="needs unshare (network namespaces)")
def test_the_real_command_works_with_no_network_at_all(tmp_path: Path) -> None:
    """A whole `chorus` process in a network namespace with no interfaces up."""
    note = tmp_path / "note.txt"
    note.write_text("The fact-check found the photo was taken in 2015 in Kyiv.")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env.pop("TIKTOKEN_CACHE_DIR", None)  # a fresh cache: encodings must come from the package
    env.update(CHORUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
    script = (
        f"{sys.executable} -m bot ingest {note} && "
        f"{sys.executable} -m bot ask --json 'Where was the photo taken?' && "
        f"{sys.executable} -m bot check --json 'The photo was taken in Kyiv'"
    )
    done = subprocess.run(
        ["unshare", "-rn", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Kyiv" in done.stdout
