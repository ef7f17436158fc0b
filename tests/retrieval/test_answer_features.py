"""What the scorer's features read from a question and a quote: other forms of a word count
as the word, the kind of thing a user-style question asks for, and the rules applied to the
fitted probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.answer_features import FEATURES, Unit, feature_rows, question_info, soft_coverage
from retrieval.lexical import content_stems, coverage
from retrieval.sentence_scorer import ROLE_MISSING_FACTOR, TYPE_MISSING_FACTOR, SentenceScorer


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


def _unit(text: str) -> Unit:
    return Unit(text, tuple(content_stems(text)), np.zeros(3, np.float32), 0.0, (), False)


def test_a_month_or_weekday_is_not_the_name_a_who_question_asks_for() -> None:
    # Found by a new user: "founded in January 2026" answered "Who runs the alliance?" (0.64).
    question = "Who runs the Coastal Ratepayers Alliance?"
    q = question_info(question, content_stems(question), np.ones(3, dtype=np.float32))
    texts = [
        "The Coastal Ratepayers Alliance was founded in January 2026.",
        "It met on Monday.",
        "Its sole listed director is Piet Halloran.",
    ]
    rows = feature_rows(q, [_unit(t) for t in texts], {})
    met, unmet = FEATURES.index("type_met"), FEATURES.index("type_unmet")
    assert rows[:, unmet].tolist() == [1.0, 1.0, 0.0]
    assert rows[:, met].tolist() == [0.0, 0.0, 1.0]


def test_a_quote_without_what_the_question_asks_for_keeps_half_its_probability() -> None:
    width = len(FEATURES)
    scorer = SentenceScorer(
        "features",
        np.zeros(width, np.float32),
        np.ones(width, np.float32),
        np.zeros(width, np.float32),
        0.0,
        0.5,
    )  # every row scores 0.5 before the rules
    rows = np.zeros((3, width), np.float32)
    rows[1, FEATURES.index("type_unmet")] = 1.0
    rows[2, FEATURES.index("type_unmet")] = rows[2, FEATURES.index("focus_unmet")] = 1.0
    probs = scorer.probabilities(rows, np.zeros(3, np.float32), np.zeros((3, 3), np.float32))
    assert probs.tolist() == pytest.approx(
        [0.5, 0.5 * TYPE_MISSING_FACTOR, 0.5 * TYPE_MISSING_FACTOR * ROLE_MISSING_FACTOR]
    )


@pytest.mark.parametrize(
    ("question", "text", "met"),
    [
        # a name opening its sentence, as an apposition or a full name, is a name
        ("Who is behind #Vote?", "Brightline, a paid consultancy, was behind #Vote.", True),
        ("Who said it?", "Piet Halloran said so on Monday.", True),
        # a common word opening a sentence is not
        ("Who is behind #Vote?", "Researchers linked it to a network.", False),
        ("Who is behind #Vote?", "However, nobody claimed it.", False),
        # a relative time answers "when"
        ("When were the posts deleted?", "Those posts were deleted within an hour.", True),
        ("When was the image posted?", "The page posted it at 11:40 p.m.", True),
        ("When were the posts deleted?", "Those posts were deleted by the platform.", False),
    ],
)
def test_what_counts_as_the_name_or_time_asked_for(question: str, text: str, met: bool) -> None:
    q = question_info(question, content_stems(question), np.ones(3, dtype=np.float32))
    row = feature_rows(q, [_unit(text)], {})[0]
    assert (row[FEATURES.index("type_met")], row[FEATURES.index("type_unmet")]) == (
        float(met),
        float(not met),
    )
