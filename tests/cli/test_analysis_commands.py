"""`chorus analyze / clusters / cluster / datasets` and their place in the Assistant."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from bot.assistant import Assistant, Requester
from common.errors import InputError, NotFoundError
from tests.cli.conftest import RunCli

CLUSTER_KEYS = {"id", "size", "accounts", "signals", "first_seen", "last_seen", "score", "examples"}
EXAMPLE_KEYS = {"post_id", "account_id", "time", "text"}


def write_posts(path: Path) -> None:
    """Four campaign accounts push the same link and text twice, seconds apart; two organic
    accounts post unrelated things at the same moments."""
    rows = []
    for round_, (t0, link) in enumerate(
        [(1_700_000_000, "https://vote.example/a"), (1_700_050_000, "https://vote.example/b")]
    ):
        for k, account in enumerate(["camp1", "camp2", "camp3", "camp4"]):
            rows.append(
                {
                    "post_id": f"p{round_}{k}",
                    "account_id": account,
                    "created_at": t0 + 7 * k,
                    "text": f"Vote for change! {link}",
                    "urls": link,
                    "hashtags": "",
                }
            )
        for k, account in enumerate(["org1", "org2"]):
            rows.append(
                {
                    "post_id": f"o{round_}{k}",
                    "account_id": account,
                    "created_at": t0 + 3 + k,
                    "text": f"my cat did a thing {round_}{k}",
                    "urls": "",
                    "hashtags": "",
                }
            )
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.csv"
    write_posts(path)
    return path


def test_analyze_json_contract_and_stable_ids(run_cli: RunCli, posts: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("analyze", str(posts), "--json", "--out", str(tmp_path / "out"))
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"dataset", "posts", "accounts", "clusters"}
    assert data["dataset"] == "campaign" and data["posts"] == 12 and data["accounts"] == 6
    [cluster] = data["clusters"]
    assert set(cluster) == CLUSTER_KEYS
    assert sorted(cluster["accounts"]) == ["camp1", "camp2", "camp3", "camp4"]
    assert all(set(e) == EXAMPLE_KEYS for e in cluster["examples"])
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {
        "clusters.json",
        "edges.csv",
        "graph.graphml",
    }

    # Same data, same parameters: the same id; analysing by name does not reload the file.
    code, again, _ = run_cli("analyze", "campaign", "--json")
    assert code == 0 and json.loads(again)["clusters"][0]["id"] == cluster["id"]
    code, listed, _ = run_cli("clusters", "--json")
    assert json.loads(listed)["clusters"][0]["id"] == cluster["id"]

    code, detail, _ = run_cli("cluster", cluster["id"], "--json", "--plot", str(tmp_path / "c.png"))
    assert code == 0 and json.loads(detail)
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Clusters are not reporting sources: `sources list` holds none of them.
    code, out, _ = run_cli("sources", "list", "--json")
    assert not [s for s in json.loads(out)["sources"] if "cluster" in s["title"].lower()]

    assert run_cli("datasets", "remove", "campaign")[0] == 0
    code, _, err = run_cli("cluster", cluster["id"])
    assert code != 0 and "no cluster" in err


def test_a_missing_column_is_named_and_stored_datasets_stay(
    run_cli: RunCli, posts: Path, tmp_path: Path
) -> None:
    assert run_cli("analyze", str(posts))[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("id,who,body\n1,a,hello\n")
    code, out, err = run_cli("analyze", str(bad))
    assert code != 0 and out == ""
    line = err.strip()
    assert "\n" not in line and "bad.csv" in line and "who" in line  # lists what it found
    code, out, _ = run_cli("datasets", "list", "--json")
    assert [d["name"] for d in json.loads(out)["datasets"]] == ["campaign"]


def test_nothing_found_says_so_plainly(run_cli: RunCli, posts: Path) -> None:
    code, out, _ = run_cli("analyze", str(posts), "--window", "1", "--min-accounts", "5")
    assert code == 0
    assert "no clusters" in out and "window 1 s" in out


def test_uploads_are_scoped_and_their_names_never_become_paths(
    assistant: Assistant, posts: Path
) -> None:
    alice = Requester("guild:1", "alice", can_moderate=True)
    bob = Requester("guild:2", "bob", can_moderate=True)
    result = assistant.analyze_upload(posts.read_bytes(), "../../../etc/cron.d/x.csv", alice)
    assert result.dataset == "x" and result.clusters
    cid = result.clusters[0].id
    assert assistant.cluster(cid, alice).summary.id == cid
    with pytest.raises(NotFoundError) as foreign:
        assistant.cluster(cid, bob)
    with pytest.raises(NotFoundError) as missing:
        assistant.cluster("c000000000000", bob)
    assert str(foreign.value).replace(cid, "X") == str(missing.value).replace("c000000000000", "X")
    assert assistant.clusters(bob).clusters == ()
    assert not list((assistant.settings.data_dir / "uploads").iterdir())  # cleaned up
    with pytest.raises(InputError, match="not a dataset file"):
        assistant.analyze_upload(b"MZ\x90\x00", "payload.exe", alice)


def test_doctor_checks_the_cluster_references_of_stored_analyses(
    run_cli: RunCli, posts: Path, cli_env: Path
) -> None:
    """Answers cite (dataset, analysis, cluster) through the stored cluster rows: doctor
    says when a dataset's latest analysis lost them, naming the dataset."""
    import duckdb

    assert run_cli("analyze", str(posts))[0] == 0
    assert json.loads(run_cli("doctor", "--json")[1])["consistent"] is True
    [path] = (cli_env / "datasets").glob("*/*.duckdb")
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM cluster_members")
    con.close()
    code, out, _ = run_cli("doctor", "--json")
    report = json.loads(out)
    assert code == 1
    assert any("'campaign'" in p and "lack their stored members" in p for p in report["problems"])


def test_account_clusters_sort_limit_and_ask_json(run_cli: RunCli, posts: Path) -> None:
    assert run_cli("analyze", str(posts))[0] == 0
    for bad in ("0", "-1"):  # one line, and nothing listed
        code, out, err = run_cli("clusters", "--sort", "size", "--limit", bad)
        assert (code, out, err) == (2, "", f"chorus: --limit must be at least 1 (got {bad})\n")
    code, out, _ = run_cli("clusters", "--sort", "size", "--limit", "1")
    assert code == 0 and "more cluster" not in out  # the one cluster there is
    code, _, err = run_cli("clusters", "--sort", "colour")
    assert code != 0 and "unknown sort 'colour'" in err
    code, out, _ = run_cli("account", "camp1", "--json")
    [view] = json.loads(out)["datasets"]
    assert view["dataset"] == "campaign" and view["cluster"]["size"] == 4
    assert {t["account_id"] for t in view["ties"]} == {"camp2", "camp3", "camp4"}
    assert all(len(i["posts"]) == 2 for t in view["ties"] for i in t["items"])
    code, out, _ = run_cli("account", "org1")
    assert code == 0 and "in no cluster of dataset campaign at window 60 s, min-shared 2" in out
    code, _, err = run_cli("account", "nobody", "--dataset", "campaign")
    assert code != 0 and "no account named 'nobody' in dataset campaign" in err

    code, out, _ = run_cli(
        "ask", "--json", "Which accounts pushed the link https://vote.example/a?"
    )
    answer = json.loads(out)
    assert not answer["refused"] and answer["citations"]
    for c in answer["citations"]:
        assert c["kind"] == "analysis" and c["dataset"] == "campaign"
        assert set(c) >= {"n", "source_id", "title", "url", "quote", "score", "post_ids"}
    assert set(re.findall(r"camp\d", answer["answer"])) == {"camp1", "camp2", "camp3", "camp4"}
    assert "org1" not in answer["answer"]


def test_too_large_a_cluster_size_is_named_as_the_flag_to_lower(
    run_cli: RunCli, posts: Path
) -> None:
    code, out, _ = run_cli("analyze", str(posts), "--min-accounts", "50")
    assert code == 0
    assert re.search(r"; try --min-accounts \d+ or a larger window$", out.strip()), out


WINDOW_RANGE = "must be seconds above 0, at most 2592000 (30 days), or 'auto'"


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--weighting", "heavy", "unknown weighting 'heavy'; choose one of discounted, count"),
        ("--engine", "spark", "unknown engine 'spark'; choose one of duckdb, dask"),
        ("--normalisation", "nfc", "unknown normalisation 'nfc'; choose one of chorus, toolkit"),
        # Numbers out of range name the flag and the range.
        *[
            ("--window", bad, f"--window {WINDOW_RANGE} (got {bad!r})")
            for bad in ("-5", "nan", "inf", "-inf", "0", "1e400", "2592001")
        ],
        ("--min-shared", "nan", "--min-shared must be a finite number above 0 (got nan)"),
        ("--min-shared", "inf", "--min-shared must be a finite number above 0 (got inf)"),
        ("--popular-share", "nan", "--popular-share must be above 0 and at most 1 (got nan)"),
        ("--popular-share", "0", "--popular-share must be above 0 and at most 1 (got 0.0)"),
        ("--new-account-days", "-1", "--new-account-days must be 0 or more (got -1)"),
        ("--image-distance", "13", "--image-distance must be 0 to 12 bits (got 13)"),
    ],
)
def test_a_bad_value_is_one_line(
    run_cli: RunCli, posts: Path, flag: str, value: str, expected: str
) -> None:
    code, out, err = run_cli("analyze", str(posts), f"{flag}={value}")
    assert (code, out, err) == (2, "", f"chorus: {expected}\n")
    assert "no datasets" in run_cli("datasets", "list")[1].lower()


def test_limit_is_per_dataset_in_the_text_and_in_json(run_cli: RunCli, posts: Path) -> None:
    """Two datasets of the same file: --limit 1 lists one cluster of each, both ways."""
    for name in ("one", "two"):
        assert run_cli("analyze", str(posts), "--name", name)[0] == 0
    code, out, _ = run_cli("clusters", "--limit", "1")
    ids = re.findall(r"^(c[0-9a-f]{12}) ", out, re.M)
    code_j, out_j, _ = run_cli("clusters", "--limit", "1", "--json")
    listed = json.loads(out_j)["clusters"]
    assert code == code_j == 0 and len(ids) == 2
    assert sorted(c["id"] for c in listed) == sorted(ids)
    assert {c["dataset"] for c in listed} == {"one", "two"}


def test_cluster_ids_follow_the_dataset_name_as_the_readme_says(
    run_cli: RunCli, posts: Path
) -> None:
    """Same data and parameters: the same id under one name, another under another name."""
    ids: dict[str, str] = {}
    for name in ("one", "two", "one"):
        code, out, _ = run_cli("analyze", str(posts), "--name", name, "--json")
        assert code == 0
        [cluster] = json.loads(out)["clusters"]
        assert ids.setdefault(name, cluster["id"]) == cluster["id"]
    assert ids["one"] != ids["two"]
