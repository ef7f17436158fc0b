from __future__ import annotations

import pytest

from prompts.phrases import REFUSAL
from retrieval.citations import Passage, best_quote, check_citations, renumber


def test_valid_citations_are_kept_and_unknown_markers_removed() -> None:
    checked = check_citations("Twitter suspended 70 accounts [1][9]. It was spam [2].", [1, 2, 3])
    assert checked.text == "Twitter suspended 70 accounts [1]. It was spam [2]."
    assert checked.cited == [1, 2]
    assert checked.removed_markers == 1
    assert not checked.refused


def test_sentences_without_a_valid_citation_are_dropped() -> None:
    checked = check_citations("Seventy accounts [1]. I made this up. Also this [7].", [1, 2])
    assert checked.text == "Seventy accounts [1]."
    assert checked.dropped_sentences == 2


def test_markers_after_the_full_stop_cite_that_sentence() -> None:
    checked = check_citations("Seventy accounts were suspended. [2] Then more. [1]", [1, 2])
    assert checked.text == "Seventy accounts were suspended [2]. Then more [1]."
    assert checked.cited == [2, 1]


@pytest.mark.parametrize("text", ["No citations at all.", "Only [9] invented ones [12]."])
def test_nothing_checkable_becomes_a_refusal(text: str) -> None:
    checked = check_citations(text, [1, 2])
    assert checked.refused
    assert checked.text == REFUSAL


def test_the_refusal_phrase_is_honoured_even_with_extra_words() -> None:
    checked = check_citations(f"Sorry. {REFUSAL} [1]", [1])
    assert checked.refused and checked.cited == []


def test_renumber_follows_first_use() -> None:
    assert renumber("a [3]. b [1][3].", [3, 1]) == "a [1]. b [2][1]."


def test_best_quote_is_a_verbatim_sentence_of_the_passage() -> None:
    text = "Bloomberg entered on Nov. 24. Twitter suspended 70 accounts. Wow!"
    p = Passage(1, "s1", "T", "", text, start=500, score=0.5)
    quote, start, end = best_quote(p, "The platform suspended 70 accounts [1].")
    assert quote == "Twitter suspended 70 accounts."
    assert text[start - 500 : end - 500] == quote
