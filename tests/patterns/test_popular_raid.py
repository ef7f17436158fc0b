"""A raid larger than the popular threshold in a small export: the down-weighting rule
stays, and the nothing-found advice says it is what removed the links."""

from __future__ import annotations

from pathlib import Path

from patterns.service import PatternService


def _raid(tmp_path: Path, raiders: int, members: int) -> Path:
    """`raiders` accounts post the same two invites 2 s apart, twice; `members` accounts
    chat. With 20 accounts the threshold is 10, so 12 raiders make each invite popular."""
    rows = ["post_id,account_id,created_at,text,urls"]
    n = 0
    for wave, (hour, link) in enumerate(((1, "https://discord.gg/a"), (2, "https://discord.gg/b"))):
        for r in range(raiders):
            n += 1
            rows.append(f"p{n},raider{r},2026-11-22T0{hour}:00:{2 * r:02d}Z,hey {wave} {r},{link}")
    for m in range(members):
        n += 1
        rows.append(f"p{n},member{m},2026-11-22T0{m % 9}:30:00Z,hello {m},https://m.example/{m}")
    path = tmp_path / "raid.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_advice_names_the_discount_when_it_hid_a_raid(svc: PatternService, tmp_path: Path) -> None:
    path = _raid(tmp_path, raiders=12, members=8)
    params = svc.params(signals=("url",))
    result = svc.analyze_file(path, scope="s", params=params)
    assert result.clusters == ()
    # Each invite: 12 of 20 accounts, weight log(20/12)/log(20/10) = 0.74; two sum to 1.47.
    assert result.empty_message() == (
        "no clusters at window 60 s, min-shared 2; popular items are down-weighted (used by "
        "more than 10 accounts): counting them in full, 12 accounts would link; the most "
        "shared, posted by 12 of 20 accounts (12 within the window of each other), weighs "
        "0.74; try weighting=count or popular_share=1"
    )
    counted = svc.analyze_file(
        path, scope="s", params=svc.params(signals=("url",), weighting="count")
    )
    assert [c.size for c in counted.clusters] == [12]


def test_no_discount_advice_when_counting_in_full_finds_nothing(
    svc: PatternService, tmp_path: Path
) -> None:
    path = _raid(tmp_path, raiders=12, members=8)
    result = svc.analyze_file(path, scope="s", params=svc.params(signals=("url",), window_s=1))
    assert result.clusters == () and not result.popular.group
    assert "down-weighted" not in result.empty_message()
