"""The parser's question shapes besides its intents: who paid (the reporting's alone),
which accounts coordinate (every cluster's members), the fact asked about one account,
and links written without a scheme."""

from __future__ import annotations

import pytest

from patterns.queries import item_keys
from patterns.questions import parse


@pytest.mark.parametrize(
    "question",
    [
        "Who paid for the #SaveKesslingWater campaign?",
        "Who funded #SaveKesslingWater?",
        "Who organised the #SaveKesslingWater posts?",
        "Who ran the #SaveKesslingWater campaign?",
        "Which company paid for the kesslingtruth.org/petition campaign?",
        "Who is paying for https://kesslingtruth.org/petition?",
        "Who was the #SaveKesslingWater campaign funded by?",
        "Who is the sponsor of #SaveKesslingWater?",
        "Which PR firm orchestrated #SaveKesslingWater?",
        "Who paid kb_voice01?",
        "Who financed the accounts in the kessling dataset?",
    ],
)
def test_who_paid_or_ran_it_is_the_reportings(question: str) -> None:
    assert parse(question).route == "reporting_only"


@pytest.mark.parametrize(
    ("question", "route"),
    [
        ("Who is behind #SaveKesslingWater?", "either"),  # both may say: unchanged
        ("Which accounts posted #SaveKesslingWater?", "dataset"),
        ("Which accounts were paid to post #SaveKesslingWater?", "dataset"),
        ("How many accounts were suspended in the #SaveKesslingWater flood?", "reporting"),
    ],
)
def test_other_questions_about_an_item_keep_their_route(question: str, route: str) -> None:
    assert parse(question).route == route


@pytest.mark.parametrize(
    ("question", "route"),
    [
        ("Which accounts are coordinating?", "dataset"),
        ("Which accounts posted within seconds of each other?", "dataset"),
        ("Which users posted the same text at the same time?", "dataset"),
        ("Are any accounts acting together?", "dataset"),
        ("Who is coordinating?", "dataset"),
        ("Is there any coordination in the kessling dataset?", "dataset"),
        ("Which accounts are coordinating in the kessling dataset?", "dataset"),
        ("How many accounts posted within a minute of each other?", "dataset"),
        # A fact of the reporting, said with the same words.
        ("Which accounts did Chirper suspend for coordinated behaviour?", "reporting"),
    ],
)
def test_which_accounts_are_coordinating(question: str, route: str) -> None:
    q = parse(question)
    assert (q.intent, q.subject, q.cluster_ids) == ("members", None, ())
    assert q.route == route


@pytest.mark.parametrize(
    "question",
    [
        "Which account had the most followers?",
        "Which user posted first?",
        "What did the Twitter spokesman say?",
        "Who is kb_voice01 coordinating with?",
        "What is the biggest cluster?",
    ],
)
def test_questions_that_do_not_ask_which_accounts_coordinate(question: str) -> None:
    assert parse(question).intent != "members"


@pytest.mark.parametrize(
    ("question", "subject", "fact"),
    [
        ("When was the account @bay_guardian_77 created?", "@bay_guardian_77", "created"),
        ("How old is the account kb_voice01?", "kb_voice01", "created"),
        ("What is the creation date of account kb_voice01?", "kb_voice01", "created"),
        ("When did the account kb_voice01 start posting?", "kb_voice01", "first_post"),
        ("What was the first post of account kb_voice01?", "kb_voice01", "first_post"),
        ("When was the last post of account kb_voice01?", "kb_voice01", "last_post"),
        ("Show me the posts of account kb_voice01", "kb_voice01", "posts"),
        ("Who is kb_voice01 coordinating with?", "kb_voice01", None),
        ("What did the account kb_voice01 share with kb_voice02?", "kb_voice01", None),
        ("Is kb_voice01 in a cluster?", "kb_voice01", None),
        ("Tell me about account kb_voice01", "kb_voice01", None),
    ],
)
def test_the_fact_asked_about_an_account(question: str, subject: str, fact: str | None) -> None:
    q = parse(question)
    assert (q.intent, q.subject, q.account_fact) == ("account", subject, fact)


def test_an_account_fact_is_only_asked_of_an_account() -> None:
    assert parse("When was the #SaveKesslingWater hashtag created?").account_fact is None


@pytest.mark.parametrize(
    ("question", "link"),
    [
        (
            "Which accounts posted the link kesslingtruth.org/petition?",
            "kesslingtruth.org/petition",
        ),
        ("Who shared kesslingtruth.org/petition?", "kesslingtruth.org/petition"),
        ("Who shared news.example.co.uk/a/b?", "news.example.co.uk/a/b"),
        ("Who shared kesslingtruth.org?", "kesslingtruth.org"),
    ],
)
def test_a_link_without_a_scheme(question: str, link: str) -> None:
    q = parse(question)
    assert (q.intent, q.item_kind, q.subject) == ("item", "url", link)


@pytest.mark.parametrize(
    "question",
    [
        "Which accounts are in posts.csv?",
        "What does the report e.g. say?",
        "Is the window of 8.6 s right?",
        "Who emailed dario@outreach.org?",
        "What is in docs/coordination.md?",
    ],
)
def test_what_is_not_a_link(question: str) -> None:
    assert parse(question).item_kind != "url"


def test_a_link_without_a_scheme_is_looked_up_as_http_and_https() -> None:
    # http://, https:// and no scheme normalise to one https:// key (L7).
    assert item_keys("url", "Kessling.org/petition/?utm_source=x") == [
        "Kessling.org/petition/?utm_source=x",
        "https://kessling.org/petition",
    ]
    assert item_keys("url", "http://x.org/a") == ["http://x.org/a", "https://x.org/a"]
