"""A dataset with no urls or hashtags column (a Discord export: links and tags only inside
the message) has them read from its text: an invite raid with different words around
the same invite is found, questions find the posts holding the link or tag, and a dataset
that has the columns keeps its own."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bot.assistant import Assistant, Requester
from corpus.posts.load import PostLimits, load_posts
from corpus.posts.text_items import first_link, hashtags_in, links_in
from patterns.normalise import normalise_url
from tests.support.rows import write_rows

ME = Requester(scope="guild:1", user="mod", can_moderate=True)
T0 = 1_795_000_000
RAIDERS = [f"raider{k}" for k in range(5)]
# The same invite three ways, and different words around it.
INVITES = ("https://discord.gg/fr33n1tro", "discord.gg/fr33n1tro", "http://discord.gg/fr33n1tro")
# What is not a link: an abbreviation, a file name, a measure, an e-mail address.
NOT_LINKS = "e.g. see posts.csv, took 8.6 s, mail bob@mail.com or mod.team@example.org"


def test_links_and_hashtags_are_read_from_text_as_written() -> None:
    text = (
        "**https://discord.gg/abc** #FreeNitro <#1234> we're #1 x.com/a#top "
        "(see https://en.wikipedia.org/wiki/Foo_(bar)). Join t.me/chan or www.Example.com/x, "
        "or example.org."
    )
    assert links_in(text) == [
        "https://discord.gg/abc",
        "x.com/a#top",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "t.me/chan",
        "www.Example.com/x",
        "example.org",
    ]
    # A channel mention, a rank and a link's fragment are not hashtags.
    assert hashtags_in(text) == ["FreeNitro"]
    assert links_in(NOT_LINKS) == []
    assert hashtags_in("&#39;quoted&#39; C# #") == []
    # The question parser reads links the same way.
    assert first_link("Which accounts shared the link discord.gg/abc?") == "discord.gg/abc"


def test_every_way_of_writing_a_link_is_one_link() -> None:
    assert {normalise_url(u) for u in INVITES} == {"https://discord.gg/fr33n1tro"}
    # The toolkit's rule compares links exactly as written.
    assert len({normalise_url(u, "toolkit") for u in INVITES}) == 3


def _raid(path: Path, *, columns: bool = False) -> Path:
    """Five raiders post the invite and #FreeNitro, each with its own words, 2 s apart, in
    two waves; regular members chat around them (no link, or not a link) at the same time."""
    rows: list[dict[str, object]] = []

    def add(author: str, t: int, content: str) -> None:
        row: dict[str, object] = {
            "message_id": f"m{len(rows)}",
            "author_id": author,
            "timestamp": t,
            "content": content,
        }
        if columns:
            row["urls"] = ""
            row["hashtags"] = ""
        rows.append(row)

    words = ["free nitro", "claim it", "gift for you", "hurry up", "limited offer"]
    for wave in range(2):
        for k, raider in enumerate(RAIDERS):
            t = T0 + 3_600 * wave + 2 * k
            add(raider, t, f"{words[(k + wave) % 5]} {INVITES[k % 3]} #FreeNitro!")
            add(f"member{k}", t + 1, f"{NOT_LINKS} #{k}")
    return write_rows(path, rows)


@pytest.fixture
def raid(assistant: Assistant, tmp_path: Path) -> Assistant:
    result = assistant.analyze(str(_raid(tmp_path / "raid.csv")), ME, name="raid")
    assert "links read from the text (no urls column), found in 10 posts" in result.notes
    assert "hashtags read from the text (no hashtags column), found in 10 posts" in result.notes
    assert [sorted(c.accounts) for c in result.clusters] == [RAIDERS]
    assert set(result.clusters[0].signals) == {"url", "hashtags"}
    return assistant


def test_questions_find_the_posts_whose_text_holds_the_link_or_tag(raid: Assistant) -> None:
    for question, what in (
        ("Which accounts shared the link https://discord.gg/fr33n1tro?", "the link"),
        ("Which accounts shared discord.gg/fr33n1tro?", "the link"),
        ("Who posted #freenitro?", "the hashtag #freenitro"),
    ):
        answer = raid.ask(question, ME).answer
        assert f"In dataset raid, 5 accounts shared {what}" in answer, answer
        assert all(r in answer for r in RAIDERS) and "member" not in answer


def test_a_dataset_with_the_columns_keeps_its_own(assistant: Assistant, tmp_path: Path) -> None:
    """Empty urls and hashtags columns say "none": the text's links are not read."""
    path = _raid(tmp_path / "cols.csv", columns=True)
    result = assistant.analyze(str(path), ME, name="cols")
    assert not [n for n in result.notes if "read from the text" in n]
    assert result.clusters == ()


def test_rows_keep_their_lines_when_links_are_read(tmp_path: Path) -> None:
    """Reading links rewrites the staged rows: a later message still names the right line."""
    rows: list[dict[str, object]] = [
        {"id": "1", "user": "a", "time": T0, "text": "hello"},
        {"id": "2", "user": "b", "time": T0, "text": "join discord.gg/x"},
        {"id": "3", "user": "c", "time": "not a time", "text": "bye"},
    ]
    con = duckdb.connect()
    limits = PostLimits(max_rows=100, max_bytes=1 << 20, max_field_chars=1000, max_columns=20)
    report = load_posts(write_rows(tmp_path / "p.csv", rows), con, limits=limits)
    assert report.bad_timestamp_examples == ("line 4: 'not a time'",)
    got = con.execute("SELECT post_id, urls FROM clean_posts ORDER BY row").fetchall()
    assert got == [("1", None), ("2", ["discord.gg/x"])]
