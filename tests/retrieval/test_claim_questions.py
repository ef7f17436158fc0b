"""`ask` with "Is the claim that X true?" / "Is it true that X?" is a claim check: the
evidence about X (with its mismatches and, with a model, a checked verdict), never the
sentence that only reports X being claimed."""

from __future__ import annotations

import pytest

from corpus.reporting.documents import make_document
from retrieval.claim_check import reports_claim
from retrieval.claim_questions import claim_asked
from retrieval.library import Library
from tests.conftest import ScriptedChatModel

MEASURE = """Measure 7 explained

Opponents say Measure 7 doubles taxes. The county budget office found that Measure 7 raises \
the property tax rate by 0.2 percent, from 1.0 to 1.2 percent of assessed value.

The county board certified the ballot wording on 3 November."""

CLAIM = "Is the claim that Measure 7 doubles taxes true?"


@pytest.fixture
def measure(library: Library) -> Library:
    library.add(
        make_document(MEASURE, title="measure", origin="test:measure", kind="text"),
        scope="s",
        added_by="t",
    )
    return library


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        (CLAIM, "Measure 7 doubles taxes"),
        ("Is it true that Measure 7 doubles taxes?", "Measure 7 doubles taxes"),
        ("is it really true that  he released all of them?", "he released all of them"),
        ('Is the claim "Twitter suspended 70 accounts" correct?', "Twitter suspended 70 accounts"),
        ("Is the allegation that the mayor lied false?", "the mayor lied"),
        (
            "Fact-check: the organizers were paid $5,000 a month",
            "the organizers were paid $5,000 a month",
        ),
        ("Was it true that the count was in July?", "the count was in July"),
        # Other questions are not claims.
        ("What is true about Measure 7?", None),
        ("Is Measure 7 on the ballot?", None),
        ("Who said it was true?", None),
        ("Is it true that?", None),
    ],
)
def test_the_claim_a_question_asks_about(question: str, claim: str | None) -> None:
    assert claim_asked(question) == claim


@pytest.mark.parametrize(
    ("quote", "reports"),
    [
        ("Opponents say Measure 7 doubles taxes.", True),
        ("Critics claimed that Measure 7 doubles taxes.", True),
        ("Officials say Measure 7 does not double taxes.", False),  # judges it
        ("Measure 7 doubles taxes, the county found.", False),  # the source's own finding
        ("Opponents say Measure 7 raises fees.", False),  # another claim
        # In other words, and where the next sentence judges it.
        ("The main claim was that Measure 7 would double the taxes people pay.", True),
        ("The main claim was that Measure 7 doubles taxes. That claim is false.", False),
    ],
)
def test_a_sentence_that_only_reports_the_claim(quote: str, reports: bool) -> None:
    assert reports_claim("Measure 7 doubles taxes", quote) is reports


def test_a_claim_question_is_answered_with_the_evidence_not_the_claim(measure: Library) -> None:
    answer = measure.ask(CLAIM, ["s"])
    assert not answer.refused and answer.mode == "extractive"
    budget = next(c for c in answer.citations if "budget office" in c.quote)
    assert answer.answer.startswith(f"{budget.quote} [{budget.n}]")
    # The sentence stating the claim is named as a report of it, never quoted as the answer.
    assert "Opponents say" not in answer.answer
    said = next(c for c in answer.citations if c.quote.startswith("Opponents say"))
    assert f"Source [{said.n}] only reports that the claim is made." in answer.answer
    data = answer.to_json()
    assert set(data) == {"question", "answer", "mode", "refused", "citations"}
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    assert all(f"[{c['n']}]" in data["answer"] for c in data["citations"])


def test_check_shows_the_evidence_about_a_claim_beside_the_sentence_reporting_it(
    measure: Library,
) -> None:
    """The sentence that reports the claim has all its words and scores best; it must not
    set the bar that keeps the evidence about the claim out."""
    quotes = [c.quote for c in measure.check("Measure 7 doubles taxes", ["s"]).citations]
    assert any("budget office" in q for q in quotes)
    assert any(q.startswith("Opponents say") for q in quotes)


def test_a_claim_question_points_at_a_differing_date(measure: Library) -> None:
    answer = measure.ask("Is it true that the ballot wording was certified on 3 December?", ["s"])
    n = next(c.n for c in answer.citations if "3 November" in c.quote)
    assert f"The claim says 3 December; [{n}] says 3 November." in answer.answer


def test_a_claim_question_with_a_model_gives_its_checked_verdict(measure: Library) -> None:
    result = measure.check("Measure 7 doubles taxes", ["s"])
    budget = next(c.n for c in result.citations if "budget office" in c.quote)
    model = ScriptedChatModel(
        replies=[
            '{"verdict": "refuted", "explanation": "The county budget office found the '
            f'property tax rate rises by 0.2 percent [{budget}]."}}'
        ]
    )
    answer = measure.ask(CLAIM, ["s"], model=model, model_name="scripted")
    assert answer.mode == "llm" and not answer.refused
    assert answer.answer.startswith("Checked against the sources, the claim is refuted.")
    shown = next(c.n for c in answer.citations if "budget office" in c.quote)
    assert f"rises by 0.2 percent [{shown}]." in answer.answer


def test_a_claim_question_nothing_bears_on_is_refused(measure: Library) -> None:
    answer = measure.ask("Is it true that tomatoes grow best in full sun?", ["s"])
    assert answer.refused and answer.citations == []
