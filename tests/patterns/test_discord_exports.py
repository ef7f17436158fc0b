"""DiscordChatExporter files: the account is the author's id, never a display name or an
object; other nested JSON is flattened to dotted columns that --map can name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.errors import InputError
from corpus.posts.discord_json import is_discord_message
from corpus.posts.json_records import iter_json_values
from tests.corpus.post_support import read_posts
from tests.patterns.conftest import LIMITS


def _message(mid: str, author_id: str, nick: str, text: str, second: int) -> dict[str, object]:
    return {
        "id": mid,
        "type": "Default",
        "timestamp": f"2026-11-21T15:14:{second:02d}+00:00",
        "content": text,
        "author": {"id": author_id, "name": f"user{author_id[-1]}", "nickname": nick},
        "attachments": [
            {"url": "https://cdn.example/a/free.png", "fileName": "free.png"},
            {"url": "media/free.png", "fileName": "free.png"},
            {"url": "https://cdn.example/a/notes.txt", "fileName": "notes.txt"},
        ],
        "embeds": [{"url": "https://discord.gg/fr33"}],
        "reference": {"messageId": "1180000000000000001"},
    }


# Two raiders who share one nickname, and whose nicknames change between their messages.
MESSAGES = [
    _message("1180000000000000010", "900000000000000031", "Nitro Support", "FREE NITRO", 0),
    _message("1180000000000000011", "900000000000000032", "Nitro Support", "FREE NITRO", 2),
    _message("1180000000000000012", "900000000000000031", "Mod Team", "FREE NITRO", 30),
]


def test_dce_csv_takes_the_author_id_as_account_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "dce.csv"
    path.write_text(
        "AuthorID,Author,Date,Content,Attachments,Reactions\n"
        "900000000000000031,Nitro Support,2026-11-21T15:14:00.0000000+00:00,FREE NITRO,,\n"
        "900000000000000032,Nitro Support,2026-11-21T15:14:02.0000000+00:00,FREE NITRO,,\n",
        encoding="utf-8",
    )
    posts, report = read_posts(path, limits=LIMITS)
    assert [p.account_id for p in posts] == ["900000000000000031", "900000000000000032"]
    assert {p.account_name for p in posts} == {"Nitro Support"}
    assert report.columns_used() == (
        "columns used: account_id=AuthorID, created_at=Date, text=Content, account_name=Author"
    )


def test_a_spaced_or_dotted_id_header_is_still_the_account(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("User Name,User ID,Time,Message\nann,42,2026-01-01T00:00:00Z,hi\n")
    posts, _ = read_posts(path, limits=LIMITS)
    assert (posts[0].account_id, posts[0].account_name) == ("42", "ann")


@pytest.mark.parametrize("whole_export", [True, False])
def test_dce_json_reads_messages_by_author_id(tmp_path: Path, whole_export: bool) -> None:
    data: object = (
        {
            "guild": {"id": "5", "name": "G"},
            "channel": {"id": "1", "name": "general"},
            "messages": MESSAGES,
            "messageCount": 3,
        }
        if whole_export
        else MESSAGES
    )
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    posts, report = read_posts(path, limits=LIMITS)
    assert report.layout == "DiscordChatExporter JSON"
    # The nickname change does not split the first raider into two accounts.
    assert [p.account_id for p in posts] == [
        "900000000000000031",
        "900000000000000032",
        "900000000000000031",
    ]
    first = posts[0]
    assert first.post_id == "1180000000000000010" and first.text == "FREE NITRO"
    assert first.created_at == datetime(2026, 11, 21, 15, 14, tzinfo=UTC)
    assert first.account_name == "user1" and first.platform == "discord"
    assert first.reply_to == "1180000000000000001"
    assert first.urls == ("https://discord.gg/fr33",)
    # Image attachments only: remote ones fetched as URLs, downloaded ones read as files.
    assert first.image_urls == ("https://cdn.example/a/free.png",)
    assert first.image_files == ("media/free.png",)
    # A Discord user id carries the account's creation time.
    snowflake_ms = (900000000000000031 >> 22) + 1420070400000
    assert first.account_created_at == datetime.fromtimestamp(snowflake_ms / 1000, UTC)


def test_nested_json_is_flattened_for_map(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    rows = [
        {"mid": "1", "when": "2026-01-01T00:00:00Z", "body": "hi", "who": {"uid": "a1"}},
        {"mid": "2", "when": "2026-01-01T00:00:01Z", "body": "hi", "who": {"uid": "a2"}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    posts, _ = read_posts(
        path, limits=LIMITS, mapping={"account_id": "who.uid", "created_at": "when"}
    )
    assert [p.account_id for p in posts] == ["a1", "a2"]
    with pytest.raises(InputError, match=r"'who' is a JSON object, not one value; .*who\.uid"):
        read_posts(path, limits=LIMITS, mapping={"account_id": "who", "created_at": "when"})


def test_a_list_is_never_an_account_id(tmp_path: Path) -> None:
    path = tmp_path / "listid.jsonl"
    path.write_text(json.dumps({"user": ["a", "b"], "time": "2026-01-01", "text": "x"}) + "\n")
    with pytest.raises(InputError, match="line 1: user is a JSON list, not an id; account_id"):
        read_posts(path, limits=LIMITS)


def test_a_channel_export_larger_than_one_record_streams_its_messages(tmp_path: Path) -> None:
    export = {
        "guild": {"id": "5", "name": 'The "quoted" {guild} \\ [x]'},
        "channel": {"id": "1", "name": "general"},
        "messages": MESSAGES * 10,
        "messageCount": 30,
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, indent=2), encoding="utf-8")
    assert path.stat().st_size > 4000
    # The export is one object over the record limit; its messages are the records.
    values = list(iter_json_values(path, "export.json", max_record_bytes=2000))
    assert [n for n, _ in values] == list(range(1, 31))
    assert all(is_discord_message(v) for _, v in values)
    # Any other object, even one with a messages list, is still one record.
    path.write_text(json.dumps({"messages": MESSAGES, "other": 1}), encoding="utf-8")
    ((n, value),) = iter_json_values(path, "export.json", max_record_bytes=1 << 20)
    assert n == 1 and set(value) == {"messages", "other"}
