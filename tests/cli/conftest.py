from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from retrieval.catalog import Catalog


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment and data dir for running `chorus` in-process."""
    for key in list(os.environ):
        if key.startswith("CHORUS_") or key == "DISCORD_TOKEN":
            monkeypatch.delenv(key)
    data = tmp_path / "data"
    monkeypatch.setenv("CHORUS_DATA_DIR", str(data))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    monkeypatch.chdir(tmp_path)
    return data


RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> RunCli:
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def snapshot(data: Path) -> tuple[Any, ...]:
    """Everything stored: every catalog row (sources and chunks) and every vector id."""
    import chromadb

    catalog = Catalog(data / "catalog.sqlite3")
    conn = catalog._conn()
    sources = conn.execute("SELECT * FROM sources ORDER BY id").fetchall()
    chunks = conn.execute("SELECT * FROM chunks ORDER BY id").fetchall()
    catalog.close()
    client = chromadb.PersistentClient(path=str(data / "chroma"))
    ids = sorted(
        i
        for c in client.list_collections()
        if c.name.startswith("chorus-chunks-")
        for i in client.get_collection(c.name).get(include=[])["ids"]
    )
    return [tuple(r) for r in sources], [tuple(r) for r in chunks], ids
