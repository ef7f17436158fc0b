"""The question parser: intents and names as users write them."""

from __future__ import annotations

import pytest

from patterns.questions import parse


@pytest.mark.parametrize(
    ("question", "intent", "subject", "extra"),
    [
        ("Who is fb_10893 coordinating with?", "account", "fb_10893", None),
        (
            "Who is BigSeanBeast coordinating with in the ira dataset?",
            "account",
            "BigSeanBeast",
            None,
        ),
        ("Is u17 in a cluster?", "account", "u17", None),
        ("Which accounts are linked to @o'brien/x?", "account", "@o'brien/x", None),
        ("Tell me about account 50%_off", "account", "50%_off", None),
        (
            "Which accounts shared the link https://t.co/8bMdm8ELL5?",
            "item",
            "https://t.co/8bMdm8ELL5",
            "url",
        ),
        ("Which accounts used the hashtag #follow together?", "item", "follow", "hashtag"),
        ('Who posted "Vote for change now"?', "item", "Vote for change now", "text"),
        # "posts" (posts.csv's default dataset name) names a dataset, not a repost target.
        (
            'Who posted "Vote now, message 0!" in the posts dataset?',
            "item",
            "Vote now, message 0!",
            "text",
        ),
        ('Who posted "Vote now" in dataset posts?', "item", "Vote now", "text"),
        ('Who posted "the post of the day"?', "item", "the post of the day", "text"),
        ('Who reposted the post "1234" in the posts dataset?', "item", "1234", "post"),
        ("Who shared the image 9f86d081884c7d65?", "item", "9f86d081884c7d65", "image"),
        ("What is the biggest cluster in the german dataset?", "top", None, "size"),
        ("Which cluster has the newest accounts?", "top", None, "new"),
        ("Which cluster shared the most images?", "top", None, "image"),
        ("What is the highest-scoring cluster?", "top", None, "score"),
        ("Members of cluster c7fc4131cdd45", "members", "c7fc4131cdd45", None),
        ("What did cluster c7fc4131cdd45 share and when?", "cluster", "c7fc4131cdd45", None),
        ("How many clusters does german have?", "count", None, None),
        ("What did the Twitter spokesman say?", None, None, None),
        ("Which account had the most followers?", None, None, None),
        ("How many followers did the most popular Harbor Voices account have?", None, None, None),
        ("Which user posted first?", None, None, None),
    ],
)
def test_parse(question: str, intent: str | None, subject: str | None, extra: str | None) -> None:
    q = parse(question)
    assert q.intent == intent
    assert q.subject == subject
    if intent == "item":
        assert q.item_kind == extra
    if intent == "top":
        assert q.sort == extra


@pytest.mark.parametrize(
    ("question", "route"),
    [
        # Who posted, shared or coordinated with an item: the dataset.
        ("Which accounts used the hashtag #follow together?", "dataset"),
        ("Who posted #RecallMayorLinn?", "dataset"),
        ("Which accounts coordinated on #RecallMayorLinn?", "dataset"),
        ("How many accounts pushed #RecallMayorLinn in the posts dataset?", "dataset"),
        ("Tell me about #RecallMayorLinn in the posts dataset", "dataset"),
        ("Which accounts shared the link https://t.co/8bMdm8ELL5?", "dataset"),
        # A fact about the item: the reporting, first.
        ("How many accounts were suspended in the #RecallMayorLinn flood?", "reporting"),
        ("When did the #RecallMayorLinn flood start?", "reporting"),
        ("What does https://example.org/report say about the flood?", "reporting"),
        # Nothing but the item: either may answer.
        ("Who is behind #RecallMayorLinn?", "either"),
        ("#RecallMayorLinn", "either"),
        ("Which accounts are in the #RecallMayorLinn network?", "either"),
        ("How many posts carry #RecallMayorLinn?", "either"),
    ],
)
def test_what_a_question_about_an_item_asks(question: str, route: str) -> None:
    q = parse(question)
    assert q.intent == "item"
    assert q.route == route


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the biggest cluster in the german dataset?", ["german_elections"]),
        ("Which cluster in ira has the most hashtags?", ["ira"]),
        ("Is u17 in a cluster?", []),  # "a" is a word here, not the dataset a
        ("What is the biggest cluster in dataset a/cluster/b?", ["a/cluster/b"]),
        ("What is the biggest cluster in dataset a?", ["a"]),
        ("How many clusters does german_elections have?", ["german_elections"]),
    ],
)
def test_datasets_named_in_a_question(question: str, expected: list[str]) -> None:
    from bot.coordination import named_datasets

    names = ["a", "a/cluster/b", "german_elections", "ira"]
    assert named_datasets(parse(question), names) == expected


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("Which accounts in harbor are new?", None),
        ("What are the new accounts in the harbor dataset?", None),
        ("Which recently created accounts posted?", None),
        ("Which accounts were created in the last week?", 7.0),
        ("Which accounts in harbor were created in the past 48 hours?", 2.0),
        ("Accounts created within the last 3 days", 3.0),
        ("Which accounts are less than 30 days old?", 30.0),
        ("How old are the accounts in harbor?", None),
        ("When were the accounts created?", None),
        ("Are any of the accounts new?", None),
        ("Which users are newest?", None),
    ],
)
def test_questions_about_new_accounts(question: str, period: float | None) -> None:
    """However new accounts are asked about, the answer comes from their creation dates
    (a user asking "Which accounts in harbor are new?" was given the cluster count)."""
    q = parse(question)
    assert q.intent == "ages"
    assert q.period_days == period


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Which cluster has the newest accounts?", "top"),  # a cluster, by its share
        ("How old is the account u17?", "account"),  # one account's view has its date
        ("Which accounts posted the video made by the campaign?", None),
        ("Which account had the most followers?", None),
    ],
)
def test_questions_near_new_accounts_keep_their_kind(question: str, intent: str | None) -> None:
    assert parse(question).intent == intent


@pytest.mark.parametrize(
    ("question", "route"),
    [
        ("Which accounts were created in the last week?", "dataset"),
        ("Which new accounts are in the posts dataset?", "dataset"),
        ("How many new accounts did Twitter suspend?", "reporting"),  # a reported fact
    ],
)
def test_what_a_question_about_new_accounts_asks(question: str, route: str) -> None:
    q = parse(question)
    assert q.intent == "ages"
    assert q.route == route
