"""What `chorus analyze` and `chorus clusters` say besides the clusters: which columns fed
which field when they were matched by name, and the summary line even when nothing is found."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.cli.conftest import RunCli
from tests.cli.test_analysis_commands import write_posts


def _rename(src: Path, dst: Path, renames: dict[str, str]) -> Path:
    with src.open(newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] = [renames.get(c, c) for c in rows[0]]
    with dst.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return dst


def test_columns_matched_by_name_are_named_and_a_tiny_run_keeps_its_summary(
    run_cli: RunCli, tmp_path: Path
) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text(
        "id,user,time,message\n1,a,2026-03-02T08:00:00Z,hello\n2,b,2026-03-02T08:00:01Z,hello\n"
    )
    code, out, err = run_cli("analyze", str(odd), "--name", "wc")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("wc: 2 posts, 2 accounts; window 60 s, min-shared 2"), out
    assert "note: columns used: post_id=id, account_id=user, created_at=time, text=message" in lines
    assert lines[-1].endswith("the dataset is too small to show coordination (2 posts, 2 accounts)")
    assert "larger window" not in out

    # Over all datasets, the one without clusters is still headed by its name.
    write_posts(tmp_path / "campaign.csv")
    assert run_cli("analyze", str(tmp_path / "campaign.csv"))[0] == 0
    code, out, _ = run_cli("clusters")
    assert code == 0
    at = out.splitlines().index(lines[0])
    assert "too small to show coordination" in out.splitlines()[at + 2]  # after its note


def test_one_renamed_column_is_named_the_canonical_ones_counted(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_posts(tmp_path / "campaign.csv")
    code, out, _ = run_cli("analyze", str(tmp_path / "campaign.csv"))
    assert code == 0 and "columns used" not in out  # canonical columns: nothing guessed
    body = _rename(tmp_path / "campaign.csv", tmp_path / "body.csv", {"text": "body"})
    code, out, _ = run_cli("analyze", str(body))
    assert code == 0
    assert "note: columns used: text=body; 5 other fields by their own names" in out.splitlines()


def test_a_run_that_finds_nothing_in_enough_data_still_advises_a_larger_window(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_posts(tmp_path / "campaign.csv")  # 12 posts by 6 accounts: not tiny
    code, out, _ = run_cli("analyze", str(tmp_path / "campaign.csv"), "--window", "1")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("campaign: 12 posts, 6 accounts; window 1 s")
    assert lines[-1] == "no clusters at window 1 s, min-shared 2; try a larger window"


def test_a_fractional_window_reads_the_same_in_the_table_answers_and_views(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """The auto window came out as 8.6 s in the table and 8.57143 s in answers."""
    write_posts(tmp_path / "campaign.csv")
    code, table, _ = run_cli("analyze", str(tmp_path / "campaign.csv"), "--window", "8.571428")
    assert code == 0 and "window 8.6 s," in table.splitlines()[0]
    cluster_id = table.splitlines()[-1].split()[0]
    shown = [
        table,
        run_cli("cluster", cluster_id)[1],
        run_cli("account", "org1")[1],
        run_cli("ask", "Is org1 in a cluster?")[1],
    ]
    for text in shown:
        assert "8.6 s" in text and "8.57" not in text, text


def test_sort_new_shows_the_new_account_share_it_sorts_by(run_cli: RunCli, tmp_path: Path) -> None:
    """Group a: 4 accounts, one made 10 days before posting; group b: 3, all made then. By
    score a comes first; by new-account share b does, and the table shows the share."""
    path = tmp_path / "groups.csv"
    t0 = 1_700_000_000
    new, old = t0 - 864_000, 1_000_000_000
    lines = ["post_id,account_id,created_at,urls,account_created_at"]
    for group, born in (("a", [new, old, old, old]), ("b", [new] * 3)):
        for k in range(2):
            for i, created in enumerate(born):
                t = t0 + 3600 * (k + (4 if group == "b" else 0)) + i
                lines.append(f"{group}{k}{i},{group}{i},{t},https://{group}.example/{k},{created}")
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = run_cli("analyze", str(path))
    assert code == 0 and "new accounts" not in out
    by_score = [line.split()[0] for line in out.splitlines()[2:4]]
    code, out, _ = run_cli("clusters", "--sort", "new")
    assert code == 0
    head, first, second = out.splitlines()[1:4]
    assert "new accounts" in head
    assert "3/3 (100%)" in first and "1/4 (25%)" in second, out
    assert [first.split()[0], second.split()[0]] == by_score[::-1]
