"""'Who posted TEXT?' reads only the posts whose raw text holds the words of the text asked
(a cheap filter before normalising every post): the posts it finds, and how each matches
(whole text, part, near-identical), must be those a plain Python reading of every post finds."""

from __future__ import annotations

from typing import Literal

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from patterns.neartext import MIN_TOKENS
from patterns.normalise import text_match_key
from patterns.params import AnalysisParams
from patterns.queries.items import _text_posts
from patterns.queries.rows import AnalysisRef

WORDS = [
    "Vote",
    "vote",
    "NOW",
    "rigged",
    "élection",
    "the",
    "a",
    "fraud",
    "stop",
    "steal",
    "count",
    "every",
    "ballot",
    "today",
    "Ohio",
]
GLUE = [" ", "  ", ", ", "! ", "\n", "...", " #", " @user ", " https://t.co/x ", "-"]


def _text(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 9))
    parts = [draw(st.sampled_from(WORDS)) + draw(st.sampled_from(GLUE)) for _ in range(n)]
    prefix = draw(st.sampled_from(["", "RT @bot: ", "RT ", "@lead "]))
    return prefix + "".join(parts)


texts = st.composite(_text)


def _expected(
    posts: list[str], key: str, mode: Literal["chorus", "toolkit"], j: float
) -> set[tuple[str, int]]:
    words = set(key.split(" "))
    out = set()
    for i, text in enumerate(posts):
        nt = text_match_key(text, mode)
        if not nt:
            continue
        have = set(nt.split(" "))
        if nt == key:
            out.add((f"p{i}", 0))
        elif f" {key} " in f" {nt} ":
            out.add((f"p{i}", 1))
        elif len(words) >= MIN_TOKENS and len(have & words) >= (j - 1e-12) * len(have | words):
            out.add((f"p{i}", 2))
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(texts(), min_size=1, max_size=25),
    st.integers(0, 24),
    st.sampled_from(["chorus", "toolkit"]),
    st.booleans(),
)
def test_the_filter_drops_no_post_that_matches(
    posts: list[str], pick: int, mode: Literal["chorus", "toolkit"], cut: bool
) -> None:
    key = text_match_key(posts[pick % len(posts)], mode)
    if cut and " " in key:  # a part of a post's text, as users quote it
        key = key.split(" ", 1)[1]
    if not key:
        return
    distinct = sorted(set(key.split(" ")))
    if len(distinct) >= 5:  # a post lacking one of the key's words may still be near-identical
        posts = [*posts, " ".join(w for w in key.split(" ") if w != distinct[-1])]
    con = duckdb.connect()
    con.execute("CREATE TABLE posts (pid VARCHAR, aid VARCHAR, t DOUBLE, text VARCHAR)")
    con.executemany(
        "INSERT INTO posts VALUES (?, ?, ?, ?)",
        [(f"p{i}", f"a{i % 4}", float(i), text) for i, text in enumerate(posts)],
    )
    params = AnalysisParams(normalisation=mode)
    ref = AnalysisRef("d", "x", params, 60.0, 0, len(posts), 4)
    got = {(str(r["pid"]), int(r["how"])) for r in _text_posts(con, ref, key).to_pylist()}
    assert got == _expected(posts, key, mode, params.near_text_threshold)
