"""Which material answers a question, end to end through `Assistant.ask`: who paid for a
campaign comes from the reporting only, even naming its hashtag; "which accounts are
coordinating?" gets the dataset's clusters; a question about one account gets the fact
asked (creation date, posts, first or last post); a link without a scheme is a link."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant, Requester
from tests import test_coordination_answers as campaign
from tests.test_coordination_answers import ALICE, CAMPAIGN, DECOYS

BOB = Requester(scope="guild:2", user="bob", can_moderate=True)  # no dataset analysed
analysed = campaign.analysed  # the fixture: an Assistant with ALICE's campaign dataset


def _named(text: str) -> set[str]:
    return {a for a in CAMPAIGN + DECOYS if a in text}


@pytest.mark.parametrize(
    "question",
    [
        "Who paid for the #Vote campaign?",
        "Who funded #Vote?",
        "Which company paid for the posts with https://vote.example/a?",
        "Who was the #Vote campaign financed by?",
    ],
)
def test_who_paid_is_never_answered_with_who_posted(analysed: Assistant, question: str) -> None:
    """No reporting says who paid: a refusal, with a note of what the dataset holds, not
    the accounts that posted the hashtag as if they were the answer."""
    answer = analysed.ask(question, ALICE)
    assert answer.refused and not _named(answer.answer)
    assert all(c.kind == "source" for c in answer.citations)
    assert any("not who paid for or ran it" in n for n in answer.notes), answer.notes


def test_who_paid_is_answered_from_the_reporting(analysed: Assistant) -> None:
    for scope in (ALICE, BOB):
        analysed.ingest_text(
            "The money behind #Vote\n\nThe Harbor Party paid Brightline Media 20,000 "
            "dollars for the #Vote campaign, according to an invoice.",
            "invoice note",
            scope,
        )
    answer = analysed.ask("Who paid for the #Vote campaign?", ALICE)
    assert not answer.refused, answer.notes
    assert [c.kind for c in answer.citations] == ["source"]
    assert "Harbor Party paid Brightline" in answer.citations[0].quote
    assert not _named(answer.answer)
    # The same answer as where no dataset is analysed, with only a note added.
    assert answer.answer == analysed.ask("Who paid for the #Vote campaign?", BOB).answer


@pytest.mark.parametrize(
    "question",
    [
        "Which accounts are coordinating?",
        "Which accounts posted within seconds of each other?",
        "Are any accounts acting together?",
        "Which users posted the same text at the same time?",
        "Which accounts are coordinating in the campaign dataset?",
    ],
)
def test_which_accounts_are_coordinating_gets_the_clusters(
    analysed: Assistant, question: str
) -> None:
    answer = analysed.ask(question, ALICE)
    cluster = analysed.clusters(ALICE).clusters[0].id
    assert not answer.refused
    assert _named(answer.answer) == set(CAMPAIGN)  # the members, never a decoy
    assert f"Cluster {cluster}: 4 accounts" in answer.answer
    assert "1 coordination cluster" in answer.answer
    cited = [c for c in answer.citations if c.cluster_id == cluster]
    assert cited and cited[0].post_ids and all(c.kind == "analysis" for c in answer.citations)


def test_which_accounts_are_coordinating_without_a_dataset_asks_the_reporting(
    analysed: Assistant,
) -> None:
    analysed.ingest_text(
        "Platform statement\n\nThe platform said 52 accounts were coordinating to push "
        "the petition.",
        "statement",
        BOB,
    )
    answer = analysed.ask("Which accounts are coordinating?", BOB)
    assert answer.citations and all(c.kind == "source" for c in answer.citations)
    assert "52 accounts were coordinating" in answer.citations[0].quote


def test_naming_an_account_still_asks_for_its_ties(analysed: Assistant) -> None:
    answer = analysed.ask("Which accounts posted together with u17?", ALICE)
    assert "u17 is in no cluster of dataset campaign" in answer.answer
    assert not _named(answer.answer) - {"u17"}


@pytest.mark.parametrize(
    "question",
    [
        "When was the account camp_1 created?",
        "When was camp_1 created?",
        "How old is the account camp_1?",
        "What is the creation date of account camp_1?",
    ],
)
def test_when_an_account_was_created(analysed: Assistant, question: str) -> None:
    answer = analysed.ask(question, ALICE)
    # Created 10 days before its first post (write_posts), at T0 - 864,000 s.
    assert "camp_1 was created 2023-11-04T22:13:20Z, 10 days before its first post" in (
        answer.answer
    ), answer.answer
    assert "coordinating" not in answer.answer and "strongest ties" not in answer.answer
    assert all(c.kind == "analysis" for c in answer.citations)


def test_an_account_without_a_creation_date_says_so(analysed: Assistant) -> None:
    answer = analysed.ask("When was the account u17 created?", ALICE)
    assert "Dataset campaign has no creation date for u17" in answer.answer


@pytest.mark.parametrize(
    ("question", "post", "lead"),
    [
        ("When did camp_1 first post?", "p00", "The first post of camp_1"),
        ("When did the account camp_1 start posting?", "p00", "The first post of camp_1"),
        ("When was camp_1's last post?", "p20", "The last post of camp_1"),
        ("When did camp_1 stop posting?", "p20", "The last post of camp_1"),
    ],
)
def test_an_accounts_first_and_last_post(
    analysed: Assistant, question: str, post: str, lead: str
) -> None:
    answer = analysed.ask(question, ALICE)
    assert f"{lead} in dataset campaign is post {post} at" in answer.answer, answer.answer
    [cited] = [c for c in answer.citations if c.post_ids == (post,)]
    assert cited.quote.startswith("Vote for change now, round")  # the post, verbatim
    assert "It has 3 posts, from 2023-11-14T22:13:20Z to 2023-11-16T02:00:00Z" in answer.answer


@pytest.mark.parametrize(
    "question", ["What did camp_1 post?", "Show me the posts of camp_1", "camp_1's posts"]
)
def test_what_an_account_posted(analysed: Assistant, question: str) -> None:
    answer = analysed.ask(question, ALICE)
    assert "camp_1 has 3 posts" in answer.answer, answer.answer
    for r in range(3):
        assert f"Its post p{r}0 at" in answer.answer
    quotes = {c.post_ids: c.quote for c in answer.citations}
    assert quotes[("p10",)] == "Vote for change now, round 1! https://vote.example/b"


@pytest.mark.parametrize(
    "link", ["vote.example/b", "VOTE.example/b/", "vote.example/b?utm_source=x"]
)
def test_a_link_without_a_scheme_is_a_link(analysed: Assistant, link: str) -> None:
    answer = analysed.ask(f"Which accounts posted the link {link}?", ALICE)
    assert "4 accounts shared the link" in answer.answer, answer.answer
    assert _named(answer.answer) == set(CAMPAIGN)
