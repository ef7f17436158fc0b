"""Issue 2, "Bad input": one line naming the problem, non-zero exit, nothing stored changes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfWriter

from tests.cli.conftest import RunCli, snapshot
from tests.corpus.corpus_support import LocalServer, serve, trickle

ARTICLE = (
    "<html><head><title>Report</title></head><body><article><h1>Report</h1>"
    + "<p>Seventy accounts posted identical campaign messages within minutes.</p>" * 20
    + "</article></body></html>"
).encode()


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.fixture
def stored(run_cli: RunCli, cli_env: Path, tmp_path: Path) -> tuple[Path, object]:
    """A data dir holding the demo and one ingested note, and its snapshot."""
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nOrganizers used identical text, images, links and hashtags.\n")
    code, _, err = run_cli("ingest", str(note))
    assert code == 0, err
    run_cli("ask", "warm up the demo source")
    return cli_env, snapshot(cli_env)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02\xff\xfe\x00binary", "binary"),
        ("scanned.pdf", _blank_pdf(), "no extractable text"),
        ("menu.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article"),
    ],
)
def test_bad_files(
    run_cli: RunCli,
    stored: tuple[Path, object],
    tmp_path: Path,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    data, before = stored
    path = tmp_path / name
    path.write_bytes(content)
    code, _, err = run_cli("ingest", str(path))
    assert code != 0
    line = _one_line(err)
    assert name in line and expected in line.lower()
    assert snapshot(data) == before


def test_a_200_mb_file_is_refused_before_it_is_read(
    run_cli: RunCli, stored: tuple[Path, object], tmp_path: Path
) -> None:
    data, before = stored
    big = tmp_path / "huge.txt"
    with big.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: no disk used, and reading it would show
    code, _, err = run_cli("ingest", str(big))
    assert code != 0
    line = _one_line(err)
    assert "huge.txt" in line and "MB" in line
    assert snapshot(data) == before


@pytest.fixture
def web() -> Iterator[LocalServer]:
    """A local HTTP server on 127.0.0.1; tests set its routes."""
    with serve() as server:
        yield server


def test_bad_urls(
    run_cli: RunCli,
    stored: tuple[Path, object],
    web: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, before = stored
    # The test's own allow-list: its loopback server may be reached, nothing else private.
    monkeypatch.setenv("CHORUS_ALLOWED_URL_NETWORKS", '["127.0.0.1/32"]')
    monkeypatch.setenv("CHORUS_LIMITS__URL_TIMEOUT_S", "1")
    web.routes["/slow"] = trickle(ARTICLE[:20], 0.05, content_type="text/html")
    web.redirect("/to-private", "http://10.0.0.7/admin")
    web.redirect("/to-metadata", "http://169.254.169.254/latest/")
    cases = {
        web.url("/missing"): "404",
        web.url("/slow"): "timed out",
        web.url("/to-private"): "10.0.0.7",
        web.url("/to-metadata"): "169.254.169.254",
    }
    for url, expected in cases.items():
        code, _, err = run_cli("ingest", url)
        assert code != 0, url
        line = _one_line(err)
        assert expected in line, line
    assert snapshot(data) == before


def test_loopback_urls_are_refused_by_default(run_cli: RunCli, web: LocalServer) -> None:
    web.reply("/a", ARTICLE)
    code, _, err = run_cli("ingest", web.url("/a"))
    assert code != 0 and "127.0.0.1" in _one_line(err)


@pytest.mark.parametrize(
    ("question", "expected"), [("", "empty"), ("   ", "empty"), ("x" * 20_000, "20,000")]
)
def test_bad_questions(
    run_cli: RunCli, stored: tuple[Path, object], question: str, expected: str
) -> None:
    data, before = stored
    for command in ("ask", "check"):
        code, out, err = run_cli(command, question)
        assert code != 0 and out == ""
        assert expected in _one_line(err)
    assert snapshot(data) == before


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(cli_env: Path) -> None:
    """`chorus sources list | head -0`: the reader is gone before Chorus writes, so the
    write fails with EPIPE; that must not come out as a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sources", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader stops before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_analyze_refuses_a_markdown_article_in_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "article.md"
    path.write_text("# How a campaign works\n\nSome prose, with a comma.\n")
    code, out, err = run_cli("analyze", str(path))
    assert code == 2 and out == ""
    assert _one_line(err) == (
        "chorus: article.md is not a posts file (CSV, JSON, JSON Lines, Parquet, optionally "
        ".gz): use `chorus ingest` for reporting"
    )
