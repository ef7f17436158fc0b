"""The command line as DESIGN.md specifies it, run in-process on a fresh data dir."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Assistant
from bot.cli import HANDLERS
from bot.cli_parser import build_parser
from bot.console import run_console
from bot.settings import load_settings
from corpus.reporting.demo import demo_document
from tests.cli.conftest import RunCli

ASK_KEYS = {"question", "answer", "mode", "refused", "citations"}
CITATION_KEYS = {"n", "kind", "source_id", "title", "url", "quote", "score"}


def _check_citations(data: dict[str, Any], texts: dict[str, str]) -> None:
    numbers = {
        int(n) for n in re.findall(r"\[(\d+)\]", data.get("answer", data.get("explanation", "")))
    }
    assert numbers <= {c["n"] for c in data["citations"]}
    for c in data["citations"]:
        assert set(c) == CITATION_KEYS
        assert c["quote"] in texts[c["source_id"]]


def test_ask_json_follows_the_contract_and_quotes_verbatim(run_cli: RunCli) -> None:
    code, out, err = run_cli("ask", "--json", "How many accounts did Twitter suspend?")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == ASK_KEYS
    assert data["mode"] == "extractive" and data["refused"] is False
    assert "70 accounts" in data["answer"]
    demo = demo_document()
    _check_citations(data, {data["citations"][0]["source_id"]: demo.text})


def test_ask_refuses_plainly(run_cli: RunCli) -> None:
    code, out, _ = run_cli("ask", "--json", "What is the melting point of tungsten?")
    data = json.loads(out)
    assert code == 0 and data["refused"] is True and data["citations"] == []


def test_a_refusal_in_json_notes_the_closest_passage(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bar just over the best sentence's score: the question is refused, and what came
    # closest is noted in the JSON as in the text (it may still answer: a reader should see it).
    _, out, _ = run_cli("ask", "--json", "How many accounts did Twitter suspend?")
    best = json.loads(out)["citations"][0]["score"]
    monkeypatch.setenv("CHORUS_RETRIEVAL__MIN_EVIDENCE", f"{min(1.0, best + 0.01):.4f}")
    code, out, err = run_cli("ask", "--json", "How many accounts did Twitter suspend?")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == ASK_KEYS | {"notes"}
    assert data["refused"] is True and data["citations"] == []
    (note,) = data["notes"]
    assert note.startswith("closest passage, scored below the evidence bar")
    assert "70 accounts" in note
    code, out, _ = run_cli("ask", "How many accounts did Twitter suspend?")
    assert note in out


def test_check_json_follows_the_contract(run_cli: RunCli) -> None:
    code, out, _ = run_cli("check", "--json", "Bloomberg released three women from their NDAs")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"claim", "verdict", "explanation", "citations"}
    assert data["verdict"] == "evidence_only"
    assert any("three women" in c["quote"] for c in data["citations"])
    _check_citations(data, {c["source_id"]: demo_document().text for c in data["citations"]})


def test_ingest_a_folder_then_list_remove_and_reindex(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "reporting"
    (folder / "deep").mkdir(parents=True)
    (folder / "a.txt").write_text("The troll farm ran 300 accounts from one office in Lakhta.")
    (folder / "deep" / "b.md").write_text("# Fact-check\n\nThe video was filmed in 2016, not 2024.")
    (folder / "deep" / "bad.txt").write_bytes(b"\x00\x00\x00")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    code, out, err = run_cli("ingest", "--json", str(folder))
    assert code == 2  # one file failed
    report = json.loads(out)
    assert sorted(Path(s["url"]).name for s in report["added"]) == ["a.txt", "b.md"]
    assert [Path(f["target"]).name for f in report["failed"]] == ["bad.txt"]
    assert [Path(s["path"]).name for s in report["skipped"]] == ["photo.jpg"]
    assert "bad.txt" in err

    code, out, _ = run_cli("ingest", str(folder / "a.txt"))
    assert code == 0 and "unchanged" in out

    code, out, _ = run_cli("sources", "list", "--json")
    sources = {Path(s["url"]).name: s for s in json.loads(out)["sources"]}
    assert {"a.txt", "b.md", "bloomberg_campaign_accounts.txt"} == set(sources)
    assert sources["a.txt"]["added_by"] == "cli" and sources["a.txt"]["added_at"]

    code, out, _ = run_cli("ask", "--json", "How many accounts did the troll farm run?")
    assert "300 accounts" in json.loads(out)["answer"]
    gone = sources["a.txt"]["id"]
    assert run_cli("sources", "remove", gone)[0] == 0
    code, out, _ = run_cli("ask", "--json", "How many accounts did the troll farm run?")
    assert all(c["source_id"] != gone for c in json.loads(out)["citations"])
    code, _, err = run_cli("sources", "remove", gone)
    assert code == 3 and err.strip() == f"chorus: no source with id {gone}"

    code, out, _ = run_cli("sources", "reindex", "--json")
    assert code == 0 and json.loads(out)["reindexed_chunks"] >= 6
    code, out, _ = run_cli("doctor")
    assert code == 0 and "consistent" in out


def test_an_empty_file_in_a_folder_is_skipped_but_named_alone_it_fails(
    run_cli: RunCli, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("The troll farm ran 300 accounts from one office.")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text(" \n\t\n")
    code, out, err = run_cli("ingest", "--json", str(folder))
    assert code == 0, err
    report = json.loads(out)
    assert [Path(s["url"]).name for s in report["added"]] == ["a.txt"]
    assert report["failed"] == []
    assert [(Path(s["path"]).name, s["reason"]) for s in report["skipped"]] == [
        ("blank.md", "empty"),
        ("empty.txt", "empty"),
    ]
    assert f"skipped {folder / 'empty.txt'}: empty" in err.splitlines()

    code, out, err = run_cli("ingest", str(folder / "empty.txt"))
    assert code == 2 and out == ""
    assert err.strip() == f"chorus: {folder / 'empty.txt'}: empty (nothing in it)"

    only_empty = tmp_path / "nothing"
    only_empty.mkdir()
    (only_empty / "e.txt").write_bytes(b"")
    code, _, err = run_cli("ingest", str(only_empty))
    assert code == 2 and "nothing to ingest" in err


def test_a_duplicate_ingest_names_its_source_and_force_adds_a_copy(
    run_cli: RunCli, tmp_path: Path
) -> None:
    article = tmp_path / "article.txt"
    article.write_text("Forty burner accounts posted the same slogan within a minute.")
    mirror = tmp_path / "mirror.txt"
    mirror.write_text(article.read_text())
    code, out, _ = run_cli("ingest", "--json", str(article))
    first = json.loads(out)["added"][0]
    code, out, err = run_cli("ingest", str(mirror))
    assert code == 0 and not err
    assert out.strip() == (
        f"unchanged: {mirror} is already source {first['id']} (article); --force adds a second copy"
    )
    code, out, _ = run_cli("ingest", "--json", "--force", "--title", "Mirror", str(mirror))
    assert code == 0
    copy = json.loads(out)["added"][0]
    assert copy["id"] != first["id"] and copy["sha256"] == first["sha256"]
    assert copy["title"] == "Mirror" and copy["url"] == str(mirror)
    code, out, _ = run_cli("sources", "list", "--json")
    listed = [s["id"] for s in json.loads(out)["sources"]]
    assert first["id"] in listed and copy["id"] in listed
    code, out, _ = run_cli("ask", "--json", "How many burner accounts posted the slogan?")
    assert code == 0 and "Forty burner accounts" in json.loads(out)["answer"]


def test_console_keeps_going_and_a_bare_line_is_a_question(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assistant = Assistant(load_settings())
    lines = (
        "help\nHow many accounts did Twitter suspend?\nsources remove nope\nsources list\nquit\n"
    )
    assert run_console(assistant, build_parser, HANDLERS, stdin=io.StringIO(lines)) == 0
    out, err = capsys.readouterr()
    assert "70 accounts" in out
    assert "no source with id nope" in err  # an error does not end the session
    assert "Bloomberg campaign accounts suspended" in out  # `sources list` ran after it
    for command in ("analyze", "clusters", "cluster", "account", "datasets", "ingest"):
        assert f"  {command} " in out  # help lists every command the console takes


def test_console_names_the_command_a_slip_was_close_to(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assistant = Assistant(load_settings())
    assert run_console(assistant, build_parser, HANDLERS, stdin=io.StringIO("clusterz\n")) == 0
    err = capsys.readouterr().err
    assert "did you mean the command" in err and "'clusters'" in err
