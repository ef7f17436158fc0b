"""`ask` answers coordination questions from the stored analysis, citing the posts; names
are matched exactly (no wildcards), other scopes' datasets do not exist, and reporting
questions still go to reporting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Assistant, Requester
from common.errors import NotFoundError
from tests.support.rows import write_rows

ALICE = Requester(scope="guild:1", user="alice", can_moderate=True)
BOB = Requester(scope="guild:2", user="bob", can_moderate=True)
# Campaign accounts with names that are SQL LIKE patterns of the decoys' names.
CAMPAIGN = ["camp_1", "camp%2", "o'brien/x", 'say "hi"']
DECOYS = ["campA1", "campXX2", "u17"]
LINKS = ["https://vote.example/a", "https://vote.example/b", "https://vote.example/c"]


def write_posts(path: Path) -> None:
    """The campaign posts the same text and link three times, seconds apart; decoys post
    their own things at the same moments (and share nothing within the window)."""
    rows = []
    for r, link in enumerate(LINKS):
        t0 = 1_700_000_000 + 50_000 * r
        for k, account in enumerate(CAMPAIGN):
            rows.append(
                {
                    "post_id": f"p{r}{k}",
                    "account_id": account,
                    "created_at": t0 + 7 * k,
                    "text": f"Vote for change now, round {r}! {link}",
                    "urls": link,
                    "hashtags": "#Vote #Change",
                    "account_created_at": t0 - 86_400 * 10,
                }
            )
        for k, account in enumerate(DECOYS):
            rows.append(
                {
                    "post_id": f"o{r}{k}",
                    "account_id": account,
                    "created_at": t0 + 3 + k,
                    "text": f"my cat did a thing {r}{k}",
                    "urls": "",
                    "hashtags": "",
                    "account_created_at": "",
                }
            )
    write_rows(path, rows)


@pytest.fixture
def analysed(assistant: Assistant, tmp_path: Path) -> Assistant:
    path = tmp_path / "posts.csv"
    write_posts(path)
    assistant.analyze(str(path), ALICE, name="campaign")
    return assistant


def _accounts_named(text: str) -> set[str]:
    return {a for a in CAMPAIGN + DECOYS if a in text}


def _check_analysis_citations(answer: Any) -> None:
    """Every marker resolves; every citation is an analysis citation of a real post set."""
    data = answer.to_json()
    assert not data["refused"] and data["citations"]
    for c in data["citations"]:
        assert c["kind"] == "analysis" and c["dataset"] == "campaign"
        assert f"[{c['n']}]" in data["answer"]
        assert all(p.startswith(("p", "o")) for p in c["post_ids"])


def test_who_is_an_account_coordinating_with(analysed: Assistant) -> None:
    answer = analysed.ask("Who is camp_1 coordinating with?", ALICE)
    _check_analysis_citations(answer)
    assert _accounts_named(answer.answer) == set(CAMPAIGN)  # its partners, no decoy
    assert "Vote for change" in " ".join(c.quote for c in answer.citations) or any(
        c.post_ids for c in answer.citations
    )
    cluster = analysed.clusters(ALICE).clusters[0].id
    assert cluster in answer.answer
    assert any(c.cluster_id == cluster and c.post_ids for c in answer.citations)


def test_an_account_in_no_cluster_is_an_answer_not_a_refusal(analysed: Assistant) -> None:
    answer = analysed.ask("Is u17 in a cluster?", ALICE)
    assert not answer.refused
    assert "u17 is in no cluster of dataset campaign at window 60 s, min-shared 2" in answer.answer


def test_an_account_in_no_cluster_is_described_with_the_stored_weighting(
    assistant: Assistant, tmp_path: Path
) -> None:
    path = tmp_path / "posts.csv"
    write_posts(path)
    for weighting, words in (
        ("discounted", "popular items counting less"),
        ("count", "every item counting 1"),
    ):
        params = assistant.analysis_params(weighting=weighting)
        assistant.analyze(str(path), ALICE, name=weighting, params=params)
        answer = assistant.ask(f"Is u17 in a cluster in the {weighting} dataset?", ALICE)
        assert f"within 60 s, {words}) reach min-shared 2 with none" in answer.answer, answer.answer
        assert answer.answer.count("counting") == 1


def test_names_are_matched_literally(analysed: Assistant) -> None:
    for name in ("camp_", "camp%", "campA_", "%"):
        answer = analysed.ask(f"Who is {name} coordinating with?", ALICE)
        assert f"There is no account named {name} in dataset campaign" in answer.answer
        assert not _accounts_named(answer.answer)
    quoted = analysed.ask("Who is o'brien/x coordinating with?", ALICE)
    assert _accounts_named(quoted.answer) == set(CAMPAIGN)


def test_which_accounts_shared_a_link_in_its_normalised_form_too(analysed: Assistant) -> None:
    for link in ("https://vote.example/b", "HTTPS://VOTE.example/b/?utm_source=x"):
        answer = analysed.ask(f"Which accounts shared the link {link}?", ALICE)
        _check_analysis_citations(answer)
        assert _accounts_named(answer.answer) == set(CAMPAIGN)
        assert "4 accounts shared the link" in answer.answer
    tag = analysed.ask("Which accounts used the hashtag #vote together?", ALICE)
    assert _accounts_named(tag.answer) == set(CAMPAIGN)


def test_rankings_members_and_counts(analysed: Assistant) -> None:
    cluster = analysed.clusters(ALICE).clusters[0].id
    for question in (
        "What is the biggest cluster?",
        "Which cluster has the newest accounts?",
        "Which cluster shared the most links?",
    ):
        answer = analysed.ask(question, ALICE)
        _check_analysis_citations(answer)
        assert cluster in answer.answer
    assert "4 accounts" in analysed.ask("What is the biggest cluster?", ALICE).answer
    members = analysed.ask(f"Who are the members of cluster {cluster}?", ALICE)
    assert _accounts_named(members.answer) == set(CAMPAIGN)
    shared = analysed.ask(f"What did cluster {cluster} share and when?", ALICE)
    assert "vote.example" in shared.answer and "active from" in shared.answer
    count = analysed.ask("How many clusters are in the campaign dataset?", ALICE)
    assert "Dataset campaign has 1 coordination cluster at" in count.answer


def test_another_servers_datasets_do_not_exist(analysed: Assistant) -> None:
    cluster = analysed.clusters(ALICE).clusters[0].id
    for question in ("Who is camp_1 coordinating with?", f"Members of cluster {cluster}"):
        answer = analysed.ask(question, BOB)
        assert not _accounts_named(answer.answer)
        assert all(c.kind == "source" for c in answer.citations)
    with pytest.raises(NotFoundError) as foreign:
        analysed.account("camp_1", BOB)
    with pytest.raises(NotFoundError) as missing:
        analysed.account("nobody", BOB)
    assert str(foreign.value).replace("camp_1", "X") == str(missing.value).replace("nobody", "X")


def test_reporting_questions_still_answer_from_reporting(analysed: Assistant) -> None:
    """A reporting question gets the same answer with datasets analysed (ALICE) as
    without (BOB): the analysis neither answers it nor crowds its sources out."""
    question = "What did the Twitter spokesman say?"
    answer = analysed.ask(question, ALICE)
    assert not answer.refused and answer.citations
    assert "spokesman said" in answer.citations[0].quote
    assert answer.answer == analysed.ask(question, BOB).answer
    assert all(c.kind == "source" for c in answer.citations)
    for c in answer.to_json()["citations"]:
        assert c["kind"] == "source" and "dataset" not in c


def test_a_fact_about_a_hashtag_is_answered_from_the_reporting(analysed: Assistant) -> None:
    """A hashtag in a question does not make it a dataset question: what is asked decides.
    A fact the reporting holds comes from the reporting; who posted the hashtag still comes
    from the dataset; a question of nothing but the hashtag gets what each holds."""
    analysed.ingest_text(
        "Field notes on the #Vote flood\n\nThe #Vote hashtag spiked on the evening of "
        "June 1. We suspended 144 accounts on June 2 for spam and platform manipulation.",
        "notes",
        ALICE,
    )
    analysed.ingest_text(
        "Who ran it\n\nBrightline, a paid consultancy, was behind #Vote.", "memo", ALICE
    )
    fact = analysed.ask("How many accounts were suspended in the #Vote flood?", ALICE)
    assert not fact.refused
    assert fact.citations and all(c.kind == "source" for c in fact.citations)
    assert any("We suspended 144 accounts" in c.quote for c in fact.citations), fact.answer
    posters = analysed.ask("Which accounts posted #Vote?", ALICE)
    _check_analysis_citations(posters)
    assert _accounts_named(posters.answer) == set(CAMPAIGN)
    both = analysed.ask("Who is behind #Vote?", ALICE)
    kinds = [c.kind for c in both.citations]
    assert "analysis" in kinds and "source" in kinds
    assert _accounts_named(both.answer) == set(CAMPAIGN)
    data = both.to_json()
    assert [c["n"] for c in data["citations"]] == list(range(1, len(kinds) + 1))
    assert all(f"[{c['n']}]" in data["answer"] for c in data["citations"])
    # A fact about a hashtag the reporting does not hold: the dataset's answer, not a refusal.
    fallback = analysed.ask("Why was #Change trending?", ALICE)
    assert not fallback.refused and _accounts_named(fallback.answer) == set(CAMPAIGN)


def test_the_account_view(analysed: Assistant) -> None:
    [view] = analysed.account("camp%2", ALICE)
    assert view.cluster is not None and view.cluster.size == 4
    assert {t.partner.account_id for t in view.ties} == set(CAMPAIGN) - {"camp%2"}
    assert all(t.items and t.items[0].post_a.account_id == "camp%2" for t in view.ties)
    assert view.is_new is True  # created 10 days before its first post
    [alone] = analysed.account("u17", ALICE, "campaign")
    assert alone.cluster is None and alone.ties == () and alone.is_new is None
    with pytest.raises(NotFoundError, match="no account named 'camp_' in dataset campaign"):
        analysed.account("camp_", ALICE)


def test_sorting_clusters(analysed: Assistant) -> None:
    for sort in ("size", "score", "new", "image", "url"):
        assert len(analysed.clusters(ALICE, sort=sort).clusters) == 1
    with pytest.raises(Exception, match="unknown sort"):
        analysed.clusters(ALICE, sort="colour")


def test_every_stage_of_an_analysis_finishes_its_progress(
    assistant: Assistant, tmp_path: Path
) -> None:
    """No stage is left sitting short of its total (the summaries' stage, which sat at 0%
    while it embedded, is gone: nothing is indexed for questions)."""
    path = tmp_path / "posts.csv"
    write_posts(path)
    seen: dict[str, tuple[int, int | None]] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        seen[stage] = (done, total)

    assistant.analyze(str(path), ALICE, name="campaign", progress=progress)
    assert {"signals", "pairing", "clustering", "saving"} <= set(seen)
    assert not [s for s in seen if "summar" in s or "index" in s]
    for stage, (done, total) in seen.items():
        assert total is None or done == total, stage


def test_an_item_that_is_in_no_post_is_said_so(analysed: Assistant) -> None:
    for question, said in (
        ("Which accounts shared the link https://nowhere.example/x?", "the link https://nowhere"),
        ("Which accounts used the hashtag #vote_ together?", "the hashtag #vote_"),
    ):
        answer = analysed.ask(question, ALICE)
        assert not answer.refused and f"No post in dataset campaign has {said}" in answer.answer
        assert not _accounts_named(answer.answer)


def test_the_cluster_view_words_members_plainly(analysed: Assistant) -> None:
    from patterns.result_text import cluster_view

    cid = analysed.clusters(ALICE).clusters[0].id
    view = cluster_view(analysed.cluster(cid, ALICE))
    # Created 10 days before their first posts: new, as the "new accounts" line defines it.
    assert "  camp_1: 3 posts, linked to 3 other members, new account\n" in view


def test_an_account_tie_says_how_many_of_its_items_it_shows(analysed: Assistant) -> None:
    """`chorus account` said "7 shared items" over a list of 3: the count and the list
    must agree, in the terminal, on Discord and in answers."""
    from bot.discord_render import account_embeds
    from bot.render_text import render_account

    views = analysed.account("camp_1", ALICE)
    tie = views[0].ties[0]
    assert 0 < len(tie.items) < tie.shared
    assert f"{tie.shared} shared items, {len(tie.items)} shown, weight" in render_account(views)
    body = "".join(e.description or "" for e in account_embeds(views))
    assert f"{tie.shared} shared items, 2 shown, weight" in body
    answer = analysed.ask("Who is camp_1 coordinating with?", ALICE).answer
    assert f"({tie.shared} shared items, {len(tie.items)} shown, same cluster:" in answer


def test_who_is_behind_an_item_quotes_only_reporting_that_says_who(analysed: Assistant) -> None:
    """The reporting part of "Who is behind #X?" quoted "A wave of posts with the hashtag
    #X appeared on November 20." as if it said who: a sentence that names no one behind it
    is not the reporting's answer, and when no sentence does, that is said."""
    analysed.ingest_text(
        "The #Vote flood\n\nThe #Vote campaign appeared on November 20, pushed by accounts "
        "created days before.",
        "notes",
        ALICE,
    )
    silent = analysed.ask("Who is behind #Vote?", ALICE)
    assert _accounts_named(silent.answer) == set(CAMPAIGN)
    assert silent.citations and all(c.kind == "analysis" for c in silent.citations)
    [note] = silent.notes  # the sentence names no one: refused, or kept out of the answer
    assert note.startswith("none of the reporting found says who is behind it")
    assert "“The #Vote campaign appeared" in note or "; the closest:" not in note
    analysed.ingest_text(
        "Who ran it\n\nBrightline, a paid consultancy, was behind #Vote.", "memo", ALICE
    )
    named = analysed.ask("Who is behind #Vote?", ALICE)
    quotes = [c.quote for c in named.citations if c.kind == "source"]
    assert quotes == ["Brightline, a paid consultancy, was behind #Vote."]
    assert not named.notes
    data = named.to_json()
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    assert all(f"[{c['n']}]" in data["answer"] for c in data["citations"])


def test_a_display_name_several_accounts_share_names_each_of_them(
    assistant: Assistant, tmp_path: Path
) -> None:
    """Two accounts both displayed as 'Patriot News' (one coordinating, one not): the
    answer says both ids go by that name instead of describing one as if it were the
    only one, and asking by id describes that account alone."""
    rows = []
    for r in range(3):
        t0 = 1_700_000_000 + 50_000 * r
        for k, (acc, name) in enumerate(
            (("111", "Patriot News"), ("222", "helper"), ("333", "Patriot News"))
        ):
            text = f"Share this now {r}!" if acc != "333" else f"my own thought {r}{k}"
            rows.append(
                {
                    "post_id": f"p{r}{k}",
                    "account_id": acc,
                    "account_name": name,
                    "created_at": t0 + 5 * k if acc != "333" else t0 + 20_000,
                    "text": text,
                }
            )
    path = tmp_path / "posts.csv"
    write_rows(path, rows)
    assistant.analyze(str(path), ALICE, name="namesakes")
    answer = assistant.ask("Who is Patriot News coordinating with?", ALICE)
    assert "2 different accounts in dataset namesakes go by Patriot News" in answer.answer
    assert "ids 111, 333" in answer.answer, answer.answer
    assert not answer.refused
    by_id = assistant.ask("Who is 111 coordinating with?", ALICE)
    assert "different accounts" not in by_id.answer and "helper" in by_id.answer, by_id.answer
