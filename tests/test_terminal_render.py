"""The terminal's answer text: links stay whole and clickable. A marker glued to a link
("https://example.org/x[1]") became part of it, and long links were wrapped at their
hyphens or in mid-word, so that neither opened when clicked."""

from __future__ import annotations

import re

import pytest

from bot.render_text import render_answer, render_check, wrapped
from retrieval.citations import Answer, Citation, spaced_markers
from retrieval.claim_check import CheckResult

LONG = (
    "https://example.org/campaign-page/very-long-path-segment-number-0/index.html"
    "?utm_source=harbor&utm_medium=social"
)
URLS = [LONG, "https://t.co/8bMdm8ELL5", "https://example.org/a-b-c-d-e-f-g-h-i-j"]


def _tokens(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("text", "spaced"),
    [
        ("the link https://example.org/x[1].", "the link https://example.org/x [1]."),
        ("https://example.org/x[1][2] then", "https://example.org/x [1][2] then"),
        ("www.example.org/x[3]", "www.example.org/x [3]"),
        ("already https://example.org/x [1].", "already https://example.org/x [1]."),
        ("a hashtag #vote[1].", "a hashtag #vote[1]."),  # no link: as it was
        ("https://example.org/x[1]/y", "https://example.org/x[1]/y"),  # inside the link
    ],
)
def test_a_marker_glued_to_a_link_gets_a_space(text: str, spaced: str) -> None:
    assert spaced_markers(text) == spaced


def _sentence(url: str, n: int) -> str:
    return f"In dataset harbor, 5 accounts shared the link {url}[{n}]."


def test_answer_links_are_never_wrapped_inside_and_keep_their_marker_beside_them() -> None:
    text = " ".join(_sentence(u, n) for n, u in enumerate(URLS * 3, start=1))
    quote = f"Analysis of dataset harbor: 5 accounts have posts that carry the link {LONG}."
    cited = Citation(1, "analysis:x", "Analysis", "", quote, 1.0, 0, len(quote), "analysis")
    shown = render_answer(Answer("Q", text, "extractive", False, [cited]))
    lines = shown.splitlines()
    for n, url in enumerate(URLS * 3, start=1):
        # The link is one whitespace-separated word, and its marker is on its line.
        assert any(re.search(rf"(?:^|\s){re.escape(url)} \[{n}\]\.(?:\s|$)", ln) for ln in lines)
    assert LONG + ".\u201d" in _tokens(shown)  # in the quote too, not cut at a hyphen
    assert not [ln for ln in lines if ln.rstrip().endswith("-")]


def test_text_without_links_still_wraps_to_the_width() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    lines = wrapped(words, 100)
    assert len(lines) > 5 and all(len(ln) <= 100 for ln in lines)
    assert " ".join(lines) == words


def test_a_claim_explanation_keeps_its_links_whole() -> None:
    explanation = f"The claim says 70; [1] says 12 at {LONG}[1]."
    shown = render_check(CheckResult("Claim", "evidence_only", explanation, []))
    assert f"\n{LONG} [1]." in shown  # the link on a line of its own, its marker beside it
