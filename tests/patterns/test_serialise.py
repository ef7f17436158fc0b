"""The one JSON form of results: times written as ISO 8601 UTC and read back exactly, keys in
field order, unknown keys ignored."""

from __future__ import annotations

import pytest

from patterns.results import Example, Member
from patterns.serialise import from_json, iso, to_json


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1704067200.0, "2024-01-01T00:00:00Z"),
        (1704067200.5, "2024-01-01T00:00:00.500000Z"),
        (-48_000_000_000.0, "0448-12-09T10:40:00Z"),  # a year below 1000 is padded
    ],
)
def test_a_time_goes_to_iso_and_back(seconds: float, text: str) -> None:
    post = Example("p1", "a1", seconds, None)
    data = to_json(post)
    assert data == {"post_id": "p1", "account_id": "a1", "time": text, "text": None}
    assert from_json(Example, data) == post
    assert iso(seconds) == text


def test_times_outside_the_calendar_are_null_and_a_null_first_post_reads_as_zero() -> None:
    assert iso(1e20) is None and iso(None) is None
    member = Member("a1", None, None, 1e20, 1, 1, None)
    data = to_json(member)
    assert (data["created_at"], data["first_post"]) == (None, None)
    assert from_json(Member, data | {"unknown": 1}).first_post == 0.0
    assert list(data) == [
        "account_id",
        "name",
        "created_at",
        "first_post",
        "posts_in_cluster",
        "partners",
        "new",
    ]
