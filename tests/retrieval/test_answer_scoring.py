"""The sentence scorer end to end: context lines never quoted, back-references quoted with
their antecedent, paraphrased questions answered, bad questions refused, claims checked
against the numbers in the evidence, and a damaged parameters file named in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.reporting.context_lines import markdown_context, plain_text_context
from corpus.reporting.documents import make_document
from retrieval.answer_features import role_asked
from retrieval.config import RetrievalConfig
from retrieval.library import Library
from retrieval.quantities import mismatches, quantities
from retrieval.sentence_scorer import SCORER_FILE, ScorerFileError, load_scorer
from tests.retrieval.catalog_support import source_text

NOTES = """Field notes, hashtag flood on #RecallMayorLinn (compiled by T&S team, 2022-06-03)

The flood started on the evening of June 1. Most of the posts came from new accounts.

We suspended 144 accounts on June 2 for spam and platform manipulation."""

LAB = """# Civic Signal Lab finds paid amplification

## How the network worked

Researchers at Civic Signal Lab studied 12,400 posts about a zoning change.
"Most of the volume came from a network," said Priya Raman, the lab's lead analyst.

These "deputy organizers" were recruited by a consultancy. They receive $2,500 per month \
to post prepared messages."""


# The shipped threshold is calibrated on SQuAD validation articles, whose answers share more
# words with their questions than these short notes do; the tests of which sentence is
# quoted use a low threshold so that they test the choice, not the calibration.
LOW = RetrievalConfig(min_evidence=0.1)


@pytest.fixture
def filled(library: Library) -> Library:
    library.add(
        make_document(NOTES, title="notes", origin="test:notes", kind="text"),
        scope="s",
        added_by="t",
    )
    library.add(
        make_document(LAB, title="lab", origin="test:lab", kind="markdown"), scope="s", added_by="t"
    )
    return library


def test_loaders_mark_title_lines_and_headings_as_context() -> None:
    assert plain_text_context(NOTES) == [NOTES.split("\n", maxsplit=1)[0]]
    assert plain_text_context("Really? Using Kremlin techniques?\n\nText.") == []
    assert markdown_context(LAB) == [
        "# Civic Signal Lab finds paid amplification",
        "## How the network worked",
    ]
    doc = make_document(NOTES, title="n", origin="o", kind="text")
    assert [doc.text[a:b] for a, b in doc.context] == [NOTES.split("\n", maxsplit=1)[0]]


def test_the_title_line_is_never_the_answer(filled: Library) -> None:
    question = "How many accounts were suspended in the #RecallMayorLinn flood?"
    assert filled.candidates(question, ["s"])[0].text.startswith("We suspended 144 accounts")
    filled.config = LOW
    answer = filled.ask(question, ["s"])
    assert not answer.refused
    assert "144 accounts" in answer.answer
    assert all("Field notes" not in c.quote for c in answer.citations)


def test_a_paraphrased_question_finds_the_answering_sentence(filled: Library) -> None:
    filled.config = LOW
    answer = filled.ask("Who is the lead analyst at Civic Signal Lab?", ["s"])
    assert not answer.refused
    assert "Priya Raman" in answer.answer
    assert all(not c.quote.startswith("#") for c in answer.citations)


def test_a_sentence_that_leans_back_is_quoted_with_its_antecedent(filled: Library) -> None:
    filled.config = LOW
    answer = filled.ask("How much are the organizers paid each month?", ["s"])
    assert not answer.refused
    quote = next(c for c in answer.citations if "$2,500" in c.quote)
    assert quote.quote.startswith('These "deputy organizers" were recruited')
    text = source_text(filled.catalog, quote.source_id)
    assert text[quote.start : quote.end] == quote.quote  # one contiguous verbatim span


INVOICE = """Invoices seen by the Ledger show that a marketing firm called Brightwave Media was \
paid $84,000 by the developer, Calder Holdings, for a campaign in March."""


def test_a_role_question_is_not_answered_by_a_quote_without_the_role(filled: Library) -> None:
    # Found by a new user: no CEO is named anywhere, yet the invoice sentence (two company
    # names, so "a name") answered "What is the name of the CEO of Brightwave Media?".
    filled.add(
        make_document(INVOICE, title="invoice", origin="test:invoice", kind="text"),
        scope="s",
        added_by="t",
    )
    for question in (
        "What is the name of the CEO of Brightwave Media?",
        "Who is the chief financial officer of Calder Holdings?",
    ):
        assert filled.ask(question, ["s"]).refused, question  # at the default threshold
    # the role named in the quote ("the lab's lead analyst") still answers
    filled.config = LOW
    assert "Priya Raman" in filled.ask("Who is the lead analyst at Civic Signal Lab?", ["s"]).answer
    assert "Brightwave" in filled.ask("Which firm did Calder Holdings pay?", ["s"]).answer


ALLIANCE = """The Coastal Ratepayers Alliance was founded in January 2026. Its sole listed \
director is Piet Halloran, a former sales manager at a bottled-water company.

The post first appeared on 3 March 2026 from the account @bay_watch_77. It included a photo \
of dead fish. A reverse image search shows that the photo was taken in 2019 at a lake in Poland."""


def test_a_who_or_where_question_is_answered_by_the_sentence_that_says_who_or_where(
    filled: Library,
) -> None:
    # Found by a new user: the sentence sharing the question's words (with a month, which is
    # no name) was quoted, and the next one, holding the name or place, was left out.
    filled.add(
        make_document(ALLIANCE, title="alliance", origin="test:alliance", kind="text"),
        scope="s",
        added_by="t",
    )
    filled.config = LOW
    assert "Piet Halloran" in filled.ask("Who runs the Coastal Ratepayers Alliance?", ["s"]).answer
    assert "Poland" in filled.ask("Where was the photo of dead fish taken?", ["s"]).answer


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("What is the name of the CEO of Brightwave Media?", ("ceo",)),
        ("Who is the lead analyst at Civic Signal Lab?", ("analyst",)),
        ("Who is the retired teacher quoted in the piece?", ("teacher",)),
        ("Who is Bloomberg's campaign manager?", ("manag",)),
        ("Who painted the Mona Lisa?", ()),
        ("Who is Priya Raman?", ()),
    ],
)
def test_the_role_a_question_asks_about(question: str, role: tuple[str, ...]) -> None:
    assert role_asked(question) == role


@pytest.mark.parametrize("question", ["the of and", "🙂🙂", "https://example.com/a?b=c", "???"])
def test_questions_with_nothing_to_look_for_are_refused(filled: Library, question: str) -> None:
    answer = filled.ask(question, ["s"])
    assert answer.refused
    assert answer.citations == []


def test_an_off_topic_question_is_refused_even_at_a_low_threshold(filled: Library) -> None:
    assert filled.ask("What is the best soil for growing tomatoes?", ["s"]).refused
    filled.config = LOW
    assert filled.ask("What is the best soil for growing tomatoes?", ["s"]).refused


def test_a_claim_with_the_wrong_amount_shows_the_evidence_and_both_figures(
    filled: Library,
) -> None:
    result = filled.check("The organizers were paid $5,000 a month", ["s"])
    assert result.verdict == "evidence_only"
    n = next(c.n for c in result.citations if "$2,500" in c.quote)
    assert f"The claim says $5,000; [{n}] says $2,500." in result.explanation


@pytest.mark.parametrize(
    ("claim", "evidence", "expected"),
    [
        ("They were paid $5,000 a month", "They receive $2,500 per month.", [("$5,000", "$2,500")]),
        ("They were paid $2,500 a month", "They receive $2,500 per month.", []),
        (
            "Twitter suspended 70 accounts",
            "Twitter suspended 144 accounts on June 2.",
            [("70 accounts", "144 accounts")],
        ),
        ("It began on June 3", "It began on June 2, 2022.", [("June 3", "June 2")]),
        # Dates as people write them: day-month, month-day, with or without a year, ISO.
        (
            "The licence vote was moved to 17 May 2026",
            "The commission postponed its licence vote from 20 March to 17 April 2026.",
            [("17 May", "17 April")],
        ),
        ("The vote was moved to 17 April", "The vote was moved to April 17, 2026.", []),
        ("The vote was moved to 2026-04-17", "The vote was moved to 17th of April 2026.", []),
        (
            "The vote was moved to 2026-05-17",
            "The vote was moved to 17 April.",
            [("2026-05-17", "17 April")],
        ),
        (
            "The vote was moved to 17 April 2025",
            "The vote was moved to 17 April 2026.",
            [("17 April 2025", "17 April 2026")],
        ),
        ("They may 3 times a day", "They may post 5 times a day.", [("3 times", "5 times")]),
        (
            "He released all women from NDAs",
            "He agreed to release three women from NDAs.",
            [("all women", "three women")],
        ),
        ("Twitter suspended 70 accounts", "About 9,000 posts an hour.", []),
        # A month without a day is a date too; it agrees with any day of that month.
        ("The count is in July", "The count is on 14 August.", [("July", "14 August")]),
        ("The count is in August", "The count is on 14 August.", []),
        (
            "It was certified on 3 December",
            "It was certified in November.",
            [("3 December", "November")],
        ),
        (
            "The count is in August 2025",
            "The count is on 14 August 2024.",
            [("August 2025", "14 August 2024")],
        ),
        ("The March for Life drew crowds", "The march was on 14 August.", []),
        # The date said of the same thing is the one pointed at ("the count").
        (
            "Early voting begins in August, with the count in July",
            "Early voting begins in August, with the count on 14 August.",
            [("July", "14 August")],
        ),
    ],
)
def test_mismatched_figures_are_found_by_slot(
    claim: str, evidence: str, expected: list[tuple[str, str]]
) -> None:
    found = mismatches(claim, [(1, evidence)])
    assert [(m.claim.text, m.evidence.text) for m in found] == expected


def test_a_differing_date_does_not_hide_the_evidence_it_differs_from(library: Library) -> None:
    """The claim's own date words ("December") are not asked of the evidence: the sentence
    that gives another date for the same thing is still strong evidence, and both dates
    are pointed at."""
    library.add(
        make_document(
            "Measure 7 timeline\n\nThe county board certified the ballot wording on 3 "
            "November.\n\nEarly voting begins in August, with the count on 14 August.",
            title="measure",
            origin="test:measure",
            kind="text",
        ),
        scope="s",
        added_by="t",
    )
    library.config = LOW
    for claim, theirs, mine in (
        ("The ballot was printed on 3 December", "3 November", "3 December"),
        ("Early voting begins in August, with the count in July", "14 August", "July"),
    ):
        result = library.check(claim, ["s"])
        assert result.verdict == "evidence_only"
        n = next(c.n for c in result.citations if theirs in c.quote)
        assert f"The claim says {mine}; [{n}] says {theirs}." in result.explanation, claim


def test_quantities_read_money_scales() -> None:
    (q,) = quantities("a $1.2 million deal")
    assert (q.kind, q.value) == ("money", "1.2e+06")


def test_a_model_verdict_that_ignores_a_mismatch_is_not_shown(filled: Library) -> None:
    from tests.conftest import ScriptedChatModel

    model = ScriptedChatModel(
        replies=['{"verdict": "supported", "explanation": "They are paid that [1]."}']
    )
    result = filled.check("The organizers were paid $5,000 a month", ["s"], model=model)
    assert result.verdict == "evidence_only"
    assert "$2,500" in result.explanation


def test_a_missing_or_damaged_scorer_file_stops_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    with pytest.raises(ScorerFileError) as err:
        load_scorer(missing)
    assert str(missing) in str(err.value) and "fit_scorer" in str(err.value)
    assert "\n" not in str(err.value)
    broken = tmp_path / "broken.json"
    data = json.loads(SCORER_FILE.read_text(encoding="utf-8"))
    data["weights"] = data["weights"][:-1]
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ScorerFileError, match="damaged"):
        load_scorer(broken)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(SCORER_FILE.read_text(encoding="utf-8")[:100], encoding="utf-8")
    with pytest.raises(ScorerFileError, match="not JSON"):
        load_scorer(truncated)


def test_the_library_refuses_to_answer_with_a_damaged_scorer(
    tmp_path: Path, embeddings: object
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    lib = Library(
        tmp_path / "data",
        RetrievalConfig(sentence_scorer="features", scorer_file=str(bad)),
        embeddings=embeddings,  # type: ignore[arg-type]
    )
    with pytest.raises(ScorerFileError, match="rebuild it"):
        lib.ask("How many accounts?", ["s"])


def test_a_long_heading_is_never_quoted_with_the_paragraph_under_it(library: Library) -> None:
    from corpus.reporting.load import document_from_bytes

    html = (
        b"<html><head><title>Survey</title></head><body><article>"
        b"<h1>Fake rider reviews flooded the transit authority's survey</h1>"
        b"<p>The regional transit authority's online survey about the new bus routes received "
        b"31,000 responses in its first week. An analysis found that most of them were not "
        b"written by riders.</p><p>About 18,500 of the responses came from just 40 IP "
        b"addresses, many of them within the same hour.</p></article></body></html>"
    )
    doc = document_from_bytes(
        html, kind="html", name="page.html", origin="test:page", max_bytes=10**6
    )
    library.add(doc, scope="s", added_by="t")
    library.config = LOW
    answer = library.ask("How many responses did the bus survey get in its first week?", ["s"])
    assert not answer.refused
    assert any("31,000 responses" in c.quote for c in answer.citations)
    assert all("Fake rider reviews" not in c.quote for c in answer.citations)


def test_a_pdf_subtitle_and_a_run_in_label_are_never_quoted(library: Library) -> None:
    from corpus.reporting.context_lines import pdf_context

    text = (
        "Coordinated Behaviour Report\n"
        "Quarterly findings on coordinated accounts and their removal, January to March 2026\n"
        "Summary. We removed 1,420 accounts for coordinated inauthentic behaviour. The\n"
        "remaining 450 accounts received warning labels."
    )
    doc = make_document(
        text, title="report", origin="test:pdf", kind="pdf", context_lines=pdf_context(text, None)
    )
    library.add(doc, scope="s", added_by="t")
    library.config = LOW
    answer = library.ask("How many coordinated accounts were removed?", ["s"])
    assert not answer.refused
    assert answer.citations[0].quote.startswith("We removed 1,420 accounts")
    assert all("January to March" not in c.quote for c in answer.citations)
    assert all(c.quote != "Summary." for c in answer.citations)
