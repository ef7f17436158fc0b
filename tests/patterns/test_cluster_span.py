"""A cluster's first and last seen span all its co-posts, not only the one co-post per
pair and item that the evidence keeps (a user saw "active from 09:00:10" next to an
example post at 09:00:01)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from patterns.service import PatternService
from tests.support.rows import write_rows

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
HOUR = 3_600


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_span_holds_every_burst_of_the_cluster(svc: PatternService, tmp_path: Path) -> None:
    rows: list[dict[str, object]] = []

    def add(account: str, t: int, text: str = "Save the park, sign today") -> None:
        rows.append(
            {
                "post_id": f"p{len(rows)}",
                "account_id": account,
                "created_at": t,
                "text": text,
                "hashtags": "#SaveThePark",
            }
        )

    # Three bursts of the same text and hashtag. The middle one has the smallest lags, so
    # it is the co-post each pair keeps; the first and last are wider but within 60 s.
    for start, lags in ((6 * HOUR, (0, 30, 50)), (12 * HOUR, (0, 2, 3)), (18 * HOUR, (0, 40, 59))):
        for account, lag in zip(("b1", "b2", "b3"), lags, strict=True):
            add(account, T0 + start + lag)
    # Not co-posts of the cluster: b1 alone an hour earlier (with an unlinked account 5 s
    # later, sharing only the hashtag), and b3 alone two hours after the last burst.
    add("b1", T0 + 5 * HOUR)
    add("x9", T0 + 5 * HOUR + 5, "Nice park")
    add("b3", T0 + 20 * HOUR)
    write_rows(tmp_path / "bursts.csv", rows)
    (cluster,) = svc.analyze_file(tmp_path / "bursts.csv", scope="s").to_json()["clusters"]
    assert cluster["accounts"] == ["b1", "b2", "b3"]
    assert cluster["first_seen"] == _iso(T0 + 6 * HOUR)
    assert cluster["last_seen"] == _iso(T0 + 18 * HOUR + 59)
