"""A fact-check refutes a claim in words other than the claim's: a check shows the page's
verdict line, the sentences denying the claim and those next to the sentence reporting it,
before that report (named as one); a yes/no question a report would answer is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.reporting.documents import make_document
from corpus.reporting.load import load_file
from retrieval.citations import MARKER
from retrieval.claim_check import reports_claim
from retrieval.claim_context import denies
from retrieval.claim_questions import yes_no_claim
from retrieval.library import Library
from tests.conftest import ScriptedChatModel
from tests.retrieval.catalog_support import source_text

PAGE = Path(__file__).parents[1] / "fixtures" / "reporting" / "factcheck_cycling.html"
CLAIM = "Norbury council banned bicycles from the town centre"
REPORT = "Posts shared on Facebook claim that Norbury council has banned bicycles"
REFUTING = (
    "Our rating: False.",
    "No such ban exists.",
    "In May the council voted to widen the cycle lanes on Market Street.",
    "A council spokesperson called the posts untrue: there has never been a ban on bicycles in "
    "Norbury.",
)


@pytest.fixture
def factcheck(library: Library) -> tuple[Library, str]:
    added = library.add(load_file(PAGE, max_bytes=1 << 20), scope="s", added_by="t")
    return library, added.source.id


def test_a_check_shows_the_refutation_then_the_report_named_as_one(
    factcheck: tuple[Library, str],
) -> None:
    library, sid = factcheck
    result = library.check(CLAIM, ["s"])
    assert result.verdict == "evidence_only"  # no model: evidence, never a guessed verdict
    quotes = [c.quote for c in result.citations]
    for wanted in REFUTING:
        assert wanted in quotes, wanted
    # The report comes last, and the explanation says what it is.
    last = result.citations[-1]
    assert last.quote.startswith(REPORT) and result.reporting == (last.n,)
    assert result.explanation.startswith(f"Source [{last.n}] only reports that the claim is made.")
    # Negations that are not about the claim stay out: "not recorded by the organisers",
    # and one with a single word of the claim outside the report's section.
    assert not any("weather" in q or "did not say" in q for q in quotes)
    text = source_text(library.catalog, sid)
    assert all(text[c.start : c.end] == c.quote for c in result.citations)
    assert [c.n for c in result.citations] == list(range(1, len(quotes) + 1))


def test_a_second_copy_of_the_page_does_not_repeat_its_refutation(
    factcheck: tuple[Library, str],
) -> None:
    library, _ = factcheck
    copy = load_file(PAGE, max_bytes=1 << 20, title="Mirror of the check")
    library.add(copy, scope="s", added_by="t", force=True)
    quotes = [c.quote for c in library.check(CLAIM, ["s"]).citations]
    assert quotes.count("Our rating: False.") == 1 and quotes.count("No such ban exists.") == 1


def test_a_page_verdict_is_not_taken_for_a_claim_the_page_only_states(
    factcheck: tuple[Library, str],
) -> None:
    """The rating is of the claim the page reports, not of a fact it gives in passing."""
    library, _ = factcheck
    result = library.check("In May the council voted to widen the cycle lanes", ["s"])
    quotes = [c.quote for c in result.citations]
    assert any(q.startswith("In May the council voted") for q in quotes)
    assert "Our rating: False." not in quotes and result.reporting == ()


def test_is_it_true_and_a_yes_no_question_answer_with_the_refutation(
    factcheck: tuple[Library, str],
) -> None:
    library, _ = factcheck
    for question in (
        "Is it true that Norbury council banned bicycles from the town centre?",
        "Did Norbury ban bicycles from the town centre?",
    ):
        answer = library.ask(question, ["s"])
        assert not answer.refused, question
        denial = next(c for c in answer.citations if c.quote == "No such ban exists.")
        assert f"No such ban exists. [{denial.n}]" in answer.answer
        report = next(c for c in answer.citations if c.quote.startswith(REPORT))
        assert REPORT not in answer.answer  # never quoted as the answer ...
        assert f"Source [{report.n}] only reports that the claim is made." in answer.answer
        cited = {int(n) for n in MARKER.findall(answer.answer)}
        assert cited == {c.n for c in answer.citations}, question


def test_a_question_the_report_does_not_answer_is_answered_as_before(
    factcheck: tuple[Library, str],
) -> None:
    library, _ = factcheck
    answer = library.ask("What did the council vote for in May?", ["s"])
    assert answer.answer.startswith("In May the council voted to widen the cycle lanes")
    assert "only reports" not in answer.answer


def test_a_model_verdict_can_cite_the_refutation(factcheck: tuple[Library, str]) -> None:
    library, _ = factcheck
    evidence = library.check(CLAIM, ["s"]).citations
    n = next(c.n for c in evidence if c.quote == "No such ban exists.")
    model = ScriptedChatModel(
        replies=[f'{{"verdict": "refuted", "explanation": "No such ban exists [{n}]."}}']
    )
    result = library.check(CLAIM, ["s"], model=model, model_name="scripted")
    assert result.verdict == "refuted"
    sent = str(model.prompts[-1][-1].content)
    assert "No such ban exists." in sent and "Our rating: False." in sent
    assert result.explanation.endswith(f"No such ban exists [{n}].")
    assert f"Source [{result.reporting[0]}] only reports" in result.explanation


def test_the_sentence_under_a_verdict_heading_is_the_verdict(library: Library) -> None:
    text = (
        "Photo of the flooded station\n\n"
        "A widely shared post claims that the photo shows Ashford station flooded last week.\n\n"
        "## Background\n\n"
        "Ashford station reopened on Monday after repairs to its roof.\n\n"
        "## Our verdict\n\n"
        "The photo was taken in 2019 in another country.\n"
    )
    doc = make_document(text, title="photo", origin="test:photo", kind="markdown")
    library.add(doc, scope="s", added_by="t")
    quotes = [
        c.quote for c in library.check("The photo shows Ashford station flooded", ["s"]).citations
    ]
    assert "The photo was taken in 2019 in another country." in quotes


@pytest.mark.parametrize(
    ("quote", "min_share", "expected"),
    [
        ("The plant has not been built.", 0.0, True),
        ("The plant has not been built.", 0.5, False),  # one of the claim's five words only
        ('"There is no plant, so there is nothing that could have killed these fish."', 0.5, True),
        ("The plant killed thousands of fish in the harbour.", 0.0, False),  # agrees
        ("The weather was not recorded.", 0.0, False),  # none of its words
        ("Thousands did not attend the harbour festival.", 0.5, False),  # its figure is no word
    ],
)
def test_a_sentence_that_denies_the_claim(quote: str, min_share: float, expected: bool) -> None:
    claim = "The desalination plant killed thousands of fish in the harbour."
    assert denies(claim, quote, min_share=min_share) is expected


def test_a_denial_the_claim_itself_makes_is_no_denial() -> None:
    assert not denies("The plant has not been built", "The plant has not been built yet.")


@pytest.mark.parametrize(
    ("quote", "reports"),
    [
        ("A fisherman, Tomas Ruel, said he was offered 100 euros to post the slogan.", True),
        # Another figure: evidence about the claim, not a report of it.
        ("A fisherman, Tomas Ruel, said he was offered 40 euros to post the slogan.", False),
    ],
)
def test_a_report_with_another_figure_is_evidence(quote: str, reports: bool) -> None:
    assert reports_claim("Tomas Ruel was offered 100 euros to post the slogan", quote) is reports


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        ("Did the plant kill fish in the harbour?", "Did the plant kill fish in the harbour"),
        ("has  the plant been built?", "has the plant been built"),
        # Asks who said what: a sentence reporting it answers it.
        ("Did the council say bicycles were banned?", None),
        ("Does anyone claim the plant killed fish?", None),
        ("Who banned bicycles?", None),
        ("Is it?", None),
    ],
)
def test_the_claim_a_yes_no_question_asks_about(question: str, claim: str | None) -> None:
    assert yes_no_claim(question) == claim


def test_a_strong_denial_below_the_picks_bar_is_still_gathered(
    factcheck: tuple[Library, str],
) -> None:
    # Found with a fuller library: the spokesperson's denial shares most of the claim's words
    # (so it anchors the search), scored just over the floor but under the bar of the
    # scorer's picks, and was then neither picked nor gathered.
    from dataclasses import replace

    from retrieval.claim_context import gather

    library, _ = factcheck
    floor = library.config.min_claim_evidence
    cands = library.candidates(CLAIM, ["s"])
    spokesperson = next(c for c in cands if c.text.startswith("A council spokesperson"))
    cands = [replace(c, score=floor + 0.001) if c is spokesperson else c for c in cands]
    gathered = gather(CLAIM, cands, library.catalog, floor)
    assert any(
        g.role == "denies" and g.candidate.text.startswith("A council spokesperson")
        for g in gathered
    )
