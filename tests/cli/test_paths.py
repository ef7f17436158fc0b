"""Paths and settings as a new user meets them: every mistake is one line naming the path
or the setting, the default data dir is the platform's, and output never carries escape
codes from data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.cli.conftest import RunCli
from tests.cli.test_analysis_commands import write_posts


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.csv"
    write_posts(path)
    return path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_data_dir_that_is_a_file_or_cannot_be_made_is_one_line(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    monkeypatch.setenv("CHORUS_DATA_DIR", str(a_file))
    code, _, err = run_cli("sources", "list")
    assert code == 2
    assert _one_line(err) == (
        f"chorus: CHORUS_DATA_DIR ({a_file}) is a file; it must be a folder (new or existing)"
    )
    monkeypatch.setenv("CHORUS_DATA_DIR", "/proc/chorus-cannot-be-here")
    code, _, err = run_cli("sources", "list")
    assert code == 2
    assert _one_line(err).startswith(
        "chorus: CHORUS_DATA_DIR (/proc/chorus-cannot-be-here) cannot be used: "
    )


def test_default_data_dir_is_the_user_data_folder_and_the_first_run_says_so(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHORUS_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    where = tmp_path / "xdg" / "chorus"
    code, _, err = run_cli("datasets", "list")
    assert code == 0
    assert f"keeping data in {where}" in err
    assert where.is_dir() and not (tmp_path / "data").exists()
    code, _, err = run_cli("datasets", "list")
    assert code == 0 and "keeping data" not in err  # said once


def test_unknown_setting_in_dotenv_is_named_as_written(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHORUS_FOO=1\n")
    code, _, err = run_cli("sources", "list")
    assert code == 2
    assert _one_line(err) == (
        "chorus: unknown setting CHORUS_FOO in .env (see .env.example for the list)"
    )


def test_analyze_a_missing_file_says_the_file_is_missing(run_cli: RunCli, tmp_path: Path) -> None:
    code, _, err = run_cli("analyze", "missing.csv")
    assert code != 0
    assert _one_line(err) == (
        "chorus: missing.csv: no such file (and no stored dataset by that name)"
    )


def test_an_export_folder_that_cannot_be_made_stops_before_the_dataset_is_stored(
    run_cli: RunCli, posts: Path, tmp_path: Path
) -> None:
    a_file = tmp_path / "exists.txt"
    a_file.write_text("keep me")
    for out in (a_file, a_file / "sub"):
        code, _, err = run_cli("analyze", str(posts), "--out", str(out))
        assert code != 0
        assert str(out) in _one_line(err)
    code, out_text, err = run_cli("datasets", "list", "--json")
    assert code == 0, err
    assert json.loads(out_text)["datasets"] == []  # nothing stored for a failed command
    assert a_file.read_text() == "keep me"


def test_out_and_plot_paths_are_one_line_errors_and_the_format_follows_the_extension(
    run_cli: RunCli, posts: Path, tmp_path: Path
) -> None:
    a_file = tmp_path / "exists.txt"
    a_file.write_text("keep me")
    code, _, err = run_cli("analyze", str(posts), "--out", str(a_file))
    assert code != 0
    assert "is a file; give --out a folder" in _one_line(err)
    assert a_file.read_text() == "keep me"
    code, _, err = run_cli("analyze", str(posts), "--out", "/proc/nope")
    assert code != 0
    assert _one_line(err).startswith("chorus: cannot create the export folder /proc/nope: ")

    code, out, err = run_cli("analyze", str(posts), "--json")
    assert code == 0, err
    cid = json.loads(out)["clusters"][0]["id"]
    code, _, err = run_cli("cluster", cid, "--plot", str(tmp_path / "c.svg"))
    assert code == 0, err
    assert (tmp_path / "c.svg").read_text()[:200].lstrip().startswith("<?xml")
    code, _, err = run_cli("cluster", cid, "--plot", str(tmp_path / "c.png"))
    assert code == 0, err
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run_cli("cluster", cid, "--plot", str(tmp_path / "c.gif"))
    assert code != 0
    assert "charts are written as .png or .svg" in _one_line(err)
    assert not (tmp_path / "c.gif").exists()
    code, _, err = run_cli("cluster", cid, "--plot", "/proc/x.png")
    assert code != 0
    assert _one_line(err).startswith("chorus: cannot write the chart to /proc/x.png: ")
    assert not list(tmp_path.glob(".c.*"))


def test_plot_into_a_missing_folder_is_refused_and_no_folder_is_made(
    run_cli: RunCli, posts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_cli("analyze", str(posts), "--json")
    assert code == 0, err
    cid = json.loads(out)["clusters"][0]["id"]
    missing = tmp_path / "nonexistent" / "dir"
    code, _, err = run_cli("cluster", cid, "--plot", str(missing / "x.png"))
    assert code != 0
    assert _one_line(err) == (
        f"chorus: cannot write the chart to {missing / 'x.png'}: the folder {missing} "
        "does not exist"
    )
    assert not (tmp_path / "nonexistent").exists()

    # A failure while the picture is written leaves nothing: no picture, no temporary file.
    from matplotlib.figure import Figure

    def broken_savefig(self: Figure, fname: str, **kwargs: Any) -> None:
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    code, _, err = run_cli("cluster", cid, "--plot", str(tmp_path / "c.png"))
    assert code != 0
    assert _one_line(err) == (
        f"chorus: cannot write the chart to {tmp_path / 'c.png'}: No space left on device"
    )
    assert not (tmp_path / "c.png").exists() and not list(tmp_path.glob(".c.png*"))


def test_the_demo_source_is_marked_built_in_and_removing_it_says_why_not(
    run_cli: RunCli,
) -> None:
    code, out, err = run_cli("sources", "list", "--json")
    assert code == 0, err
    demo = json.loads(out)["sources"][0]["id"]
    code, out, _ = run_cli("sources", "list")
    assert "[built in: the bundled demo]" in out
    code, _, err = run_cli("sources", "remove", demo)
    assert code != 0
    assert "is the built-in demo source" in _one_line(err)


def test_terminal_output_escapes_control_characters_from_data(
    run_cli: RunCli, tmp_path: Path
) -> None:
    rows = ["post_id,account_id,created_at,text"]
    for k in range(3):
        for i, account in enumerate(["ev\x1b[2Jil", "fo\x08rged", "rt\u202el"]):
            rows.append(f"p{k}{i},{account},2024-01-01T00:0{k}:0{i}Z,Same text {k} \x1b[31m")
    path = tmp_path / "escapes.csv"
    path.write_text("\n".join(rows) + "\n")
    code, out, err = run_cli("analyze", str(path), "--min-accounts", "2", "--json")
    assert code == 0, err
    cid = json.loads(out)["clusters"][0]["id"]
    code, shown, err = run_cli("cluster", cid)
    assert code == 0, err
    assert "ev\\x1b[2Jil" in shown
    for raw in ("\x1b", "\x08", "\u202e"):
        assert raw not in shown


def test_main_is_importable_without_side_effects() -> None:
    assert callable(main)


def test_upload_errors_name_the_upload_not_a_temporary_file(assistant: Any) -> None:
    import gzip

    from bot.assistant import Requester
    from common.errors import ChorusError

    mod = Requester("guild:1", "mod", can_moderate=True)
    broken = gzip.compress(b"post_id,account_id,created_at\n" * 50)[:-12]  # truncated
    with pytest.raises(ChorusError) as caught:
        assistant.analyze_upload(broken, "../evil/posts.csv.gz", mod)
    message = str(caught.value)
    assert message.startswith("posts.csv.gz ") and "tmp" not in message, message
    assert not list((assistant.settings.data_dir / "uploads").iterdir())


def test_a_gzip_bomb_upload_is_refused_at_the_ratio_bound_naming_the_upload(
    assistant: Any, tmp_path: Path
) -> None:
    """A tiny .csv.gz that would unpack to gigabytes stops at 100x its size, on one line."""
    import gzip
    import io

    from bot.assistant import Requester
    from common.errors import LimitError

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(b"post_id,account_id,created_at,text\n")
        for _ in range(40):  # 40 MB of rows from about 40 kB
            f.write(b"p,a,2024-01-01T00:00:00Z,same\n" * 35_000)
    bomb = buf.getvalue()
    mod = Requester("guild:1", "mod", can_moderate=True)
    with pytest.raises(LimitError) as caught:
        assistant.analyze_upload(bomb, "../x/bomb.csv.gz", mod)
    message = str(caught.value)
    assert message == (
        f"bomb.csv.gz unpacks to more than {100 * len(bomb):,} bytes "
        f"(100x its {len(bomb):,} compressed bytes, max_unpack_ratio)"
    )
    assert "\n" not in message and "tmp" not in message
    assert not list((assistant.settings.data_dir / "uploads").iterdir())
    datasets = assistant.settings.data_dir / "datasets"
    assert not [p for p in datasets.rglob("*") if p.is_file() and ".gunzip-" in p.name]


def test_a_bad_chroma_url_exits_2_as_other_bad_settings(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_CHROMA_URL", "localhost:8000")
    code, _, err = run_cli("doctor")
    assert code == 2
    assert _one_line(err).startswith("chorus: bad setting CHORUS_CHROMA_URL: must be an http(s)")


def test_doctor_checks_the_model_spec(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without it a bad CHORUS_LLM passed doctor and failed on the first ask.
    monkeypatch.setenv("CHORUS_LLM", "gpt4")
    code, out, _ = run_cli("doctor")
    assert code == 1
    assert "found: bad setting CHORUS_LLM='gpt4': write it as provider:model" in out
    code, out, _ = run_cli("doctor", "--json")
    assert code == 1 and json.loads(out)["consistent"] is True  # the store itself is fine
    assert json.loads(out)["setting_problems"][0].startswith("bad setting CHORUS_LLM")
    monkeypatch.setenv("CHORUS_LLM", "")
    assert run_cli("doctor")[0] == 0


def test_analyze_help_names_the_setting_behind_each_default() -> None:
    # "--window (default 60)" read as false when .env set CHORUS_ANALYSIS__WINDOW_S=30.
    import argparse
    import re

    from bot.cli_parser import build_parser
    from patterns.params import AnalysisConfig

    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {a.dest: str(a.help) for a in sub.choices["analyze"]._actions}
    shipped = AnalysisConfig()
    fields = {
        "window": "window_s",
        "min_accounts": "min_accounts",
        "min_shared": "min_shared",
        "new_account_days": "new_account_days",
        "normalisation": "normalisation",
        "weighting": "weighting",
        "popular_share": "popular_share",
        "engine": "engine",
        "workers": "dask_workers",
        "image_distance": "image_distance",
    }
    for dest, name in fields.items():
        said = re.search(
            rf"the setting CHORUS_ANALYSIS__{name.upper()}, (\S+) unless set", helps[dest]
        )
        assert said, helps[dest]
        value = getattr(shipped, name)
        assert said.group(1) == (f"{value:g}" if isinstance(value, float) else str(value)), dest
    assert not any(re.search(r"\(default \d", text) for text in helps.values())
