"""'Who wrote it?' is answered with the byline of the source the question names, verbatim; a
byline is never the answer to anything else; a named source without a byline is said to have
none (found by a new user: every authorship question was refused, bylines being context)."""

from __future__ import annotations

import pytest

from corpus.reporting.load import load_bytes
from retrieval.authorship import asks_author
from retrieval.library import Library
from tests.retrieval.catalog_support import source_text

MB = 1 << 20

ARTICLE = b"""# Who is behind the harbour campaign?

*By Lena Brandt, Harbourline News, 14 March 2026*

An invoice seen by Harbourline News shows that a firm called Meridian Pulse billed 18,500 euros
for the campaign. The invoice is addressed to the Coastal Ratepayers Alliance.
"""

PAGE = b"""<!DOCTYPE html><html><head><title>Fact-check: did the plant kill the fish?</title></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<header><h1>Fact-check: did the plant kill the fish?</h1>
<p class="byline">By Oskar Lindqvist, CheckPoint | Published 16 March 2026</p></header>
<article><p><strong>Verdict: False.</strong></p>
<p>A viral post claims that the desalination plant has killed thousands of fish in the harbour.
The plant has not been built. Construction is scheduled to start in October 2027, according to
the council's planning office, which published the timetable last year.</p></article>
<footer>Copyright CheckPoint</footer></body></html>"""

TIMELINE = b"""# Harbour campaign: timeline of events

- 27 February 2026: the domain of the petition site is registered.
- 2 March 2026: the first posts with the campaign hashtag appear.
"""


@pytest.fixture
def three(library: Library) -> Library:
    for data, name in ((ARTICLE, "article.md"), (PAGE, "page.html"), (TIMELINE, "timeline.md")):
        library.add(load_bytes(data, filename=name, max_bytes=MB), scope="s", added_by="t")
    return library


def test_who_wrote_a_named_source_quotes_its_byline(three: Library) -> None:
    for question, byline in (
        ("Who wrote the fact-check?", "By Oskar Lindqvist, CheckPoint | Published 16 March 2026"),
        (
            "Who wrote the Harbourline News article?",
            "By Lena Brandt, Harbourline News, 14 March 2026",
        ),
        ("Who is the author of the article about the invoice?", "By Lena Brandt"),
    ):
        answer = three.ask(question, ["s"])
        assert not answer.refused, question
        assert byline in answer.answer, question
        (citation,) = answer.citations
        assert citation.quote.startswith(byline)
        text = source_text(three.catalog, citation.source_id)
        assert text[citation.start : citation.end] == citation.quote  # verbatim, no markup


def test_a_page_header_byline_is_kept_as_context_and_never_answers_anything_else(
    three: Library,
) -> None:
    answer = three.ask("When will construction of the plant start?", ["s"])
    assert "Lindqvist" not in answer.answer
    assert all("Lindqvist" not in c.quote for c in answer.citations)


def test_an_author_question_about_no_source_here_is_not_answered_with_a_byline(
    three: Library,
) -> None:
    # A held-out off-topic question was answered with an unrelated source's byline.
    answer = three.ask("Who wrote Pride and Prejudice?", ["s"])
    assert all("By " not in c.quote[:3] for c in answer.citations)
    assert "Lindqvist" not in answer.answer and "Brandt" not in answer.answer
    assert "Brandt" in three.ask("Who wrote the article?", ["s"]).answer  # the best-ranked


def test_a_named_source_without_a_byline_is_said_to_have_none(three: Library) -> None:
    answer = three.ask("Who wrote the timeline?", ["s"])
    assert answer.refused
    assert answer.notes == ["no byline in “Harbour campaign: timeline of events”"]


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who wrote the fact-check?", True),
        ("Who filed the field note?", True),
        ("Who is the author of this report?", True),
        ("Whose article reported the invoice?", True),
        ("Who paid for the campaign?", False),
        ("Who wrote the Communist Manifesto?", False),  # a work the sources may be about
        ("Who wrote Pride and Prejudice?", False),
        ("Who runs the alliance?", False),
    ],
)
def test_which_questions_ask_for_the_author(question: str, asks: bool) -> None:
    assert asks_author(question) is asks
