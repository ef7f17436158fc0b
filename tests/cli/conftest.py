from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Callable, Iterator
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


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes, float]] = {}  # noqa: RUF012

    def do_GET(self) -> None:
        status, headers, body, delay = self.routes.get(self.path, (404, {}, b"not found", 0))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if delay:
                for byte in body:  # trickle: one byte per `delay` seconds
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(delay)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): expected

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web() -> Iterator[tuple[str, dict[str, tuple[int, dict[str, str], bytes, float]]]]:
    """A local HTTP server on 127.0.0.1; tests fill in its routes."""
    routes: dict[str, tuple[int, dict[str, str], bytes, float]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    server.server_close()
