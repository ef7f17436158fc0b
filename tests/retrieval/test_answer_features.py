"""What the scorer's features read from a question and a quote: other forms of a word count
as the word, and the kind of thing a user-style question asks for."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.answer_features import question_info, soft_coverage
from retrieval.lexical import content_stems, coverage


def test_another_form_of_a_word_counts_in_soft_coverage_only() -> None:
    q = content_stems("When did the suspensions start?")
    s = content_stems("Twitter began suspending 70 accounts on Friday.")
    idf = {stem: 1.0 for stem in q + s}
    assert coverage(q, s, idf) == 0.0  # the stemmer keeps "suspens" and "suspend" apart
    assert soft_coverage(q, s, idf) == pytest.approx(0.5)  # suspensions ~ suspending; start unmet
    assert soft_coverage(q, content_stems("The weather was fine."), idf) == 0.0


def test_short_stems_need_an_exact_match() -> None:
    q = content_stems("Who paid the band?")
    idf = {stem: 1.0 for stem in q}
    assert soft_coverage(q, content_stems("A bandage was bought."), idf) == 0.0


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("In which town is the consultancy based?", "name"),
        ("What city was Bloomberg the mayor of?", "name"),
        ("Which newspaper looked at the posts?", "name"),
        ("Which social networks does the campaign use?", "name"),
        ("Which body oversees the prices?", "name"),
        ("How recently were the accounts created?", "date"),
        ("On which day did the suspensions begin?", "date"),
        ("What did the organizers post?", ""),
        ("What did people say about the fares?", ""),
    ],
)
def test_the_kind_of_answer_a_user_style_question_asks_for(question: str, kind: str) -> None:
    info = question_info(question, content_stems(question), np.zeros(3, dtype=np.float32))
    assert (info.wants_name, info.wants_date) == (kind == "name", kind == "date")
