"""Who is behind something: which questions ask it, which sentences answer it, and an
answer cut to those sentences with its citations renumbered."""

from __future__ import annotations

import pytest

from retrieval.attribution import asks_who_is_behind, says_who_is_behind, who_is_behind
from retrieval.citations import Answer, Citation

Q = "Who is behind #harborvote?"


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        (Q, True),
        ("Who's running the #harborvote campaign?", True),
        ("Which firm organised the harbor posts?", True),
        ("Who posted #harborvote?", False),  # the dataset's question: who posted it
        ("When did the #harborvote flood start?", False),
    ],
)
def test_which_questions_ask_who_is_behind(question: str, asks: bool) -> None:
    assert asks_who_is_behind(question) is asks


@pytest.mark.parametrize(
    ("sentence", "says"),
    [
        ("The #harborvote campaign was run by Tidewater Strategies.", True),
        ("Brightline, a paid consultancy, was behind #harborvote.", True),
        ("Invoices show the posts were paid for by the Harbor Development Group.", True),
        # A month is not a name, and a name alone does not say who is behind it.
        ("A wave of posts with the hashtag #harborvote appeared on November 20.", False),
        ("Local officials said they were looking into the #harborvote posts.", False),
        ("The accounts behind #harborvote were created days before the vote.", False),
    ],
)
def test_which_sentences_say_who_is_behind(sentence: str, says: bool) -> None:
    assert says_who_is_behind(sentence, Q) is says


def _citation(n: int, quote: str) -> Citation:
    return Citation(n, f"s{n}", f"Source {n}", "", quote, 0.5, 0, len(quote))


def test_a_model_answer_keeps_the_sentences_that_say_who_renumbered() -> None:
    answer = Answer(
        Q,
        "The flood began on November 20 [1]. It was run by Tidewater Strategies [2][3].",
        "llm",
        False,
        [_citation(1, "a"), _citation(2, "b"), _citation(3, "c")],
    )
    kept, note = who_is_behind(Q, answer)
    assert note is None
    assert kept.answer == "It was run by Tidewater Strategies [1][2]."
    assert [(c.n, c.source_id) for c in kept.citations] == [(1, "s2"), (2, "s3")]


def test_an_answer_that_says_no_one_is_set_aside_with_a_note() -> None:
    quote = "A wave of posts with the hashtag #harborvote appeared on November 20."
    answer = Answer(Q, f"{quote} [1]", "extractive", False, [_citation(1, quote)])
    kept, note = who_is_behind(Q, answer)
    assert kept is answer
    assert (
        note
        == f"none of the reporting found says who is behind it; the closest: “{quote}” (Source 1)"
    )
    other = "When did the #harborvote flood start?"  # asks no one: the answer stands
    assert who_is_behind(other, answer) == (answer, None)
