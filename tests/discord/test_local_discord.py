"""The real `chorus bot` process against a local Discord (tests/discord/local_discord.py).

One bot process serves the whole module: it logs in, syncs its commands, takes interactions
and messages over the gateway websocket and answers through the webhook endpoints, all on
127.0.0.1. Its model is the local OpenAI-compatible server (tests/local_models.py), so what
an answer says is scripted and what the model was shown is recorded. Every assertion is on
what one of the fakes received.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.discord_app import bot_intents
from tests.discord.bot_process import BotProcess, bot_env
from tests.discord.discord_harness import EPHEMERAL, assert_no_mentions
from tests.discord.local_discord import APP_ID, LocalDiscord, Received
from tests.local_models import LocalModel, ModelCall, Reply, cite_sources, well_behaved
from tests.local_server import wait_until

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GUILD_A = 950000000000000001
GUILD_B = 950000000000000002
MANAGE_GUILD = 1 << 5
MODERATOR = 7001
MEMBER = 7002
SECRET = (
    "The Larkspur Gazette found that the Tidewater campaign bought 400 dormant accounts. "
    "Each account posted the same slogan within nine minutes of the others. "
    "The accounts were registered from a single office in Harbor City."
)
RESUME_HOLD = threading.Event()
LONG = 6_500


def behaviour(call: ModelCall) -> Reply:
    """Well-behaved, plus two hooks: "in full" answers with every source sentence (a long
    answer), "meanwhile" holds the reply until the test has made the gateway reconnect."""
    question = call.user.rsplit("Question:", 1)[-1]
    if "in full" in question:
        return Reply(cite_sources(call, max_chars=LONG))
    reply = well_behaved(call)
    if "meanwhile" in question:
        reply.hold = RESUME_HOLD
    return reply


@pytest.fixture(scope="module")
def model() -> Iterator[LocalModel]:
    server = LocalModel(behaviour=behaviour).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fake() -> Iterator[LocalDiscord]:
    server = LocalDiscord()
    server.add_guild(GUILD_A)
    server.add_guild(GUILD_B)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(
    fake: LocalDiscord, model: LocalModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotProcess]:
    workdir = tmp_path_factory.mktemp("bot")
    env = bot_env(
        fake,
        workdir / "data",
        model,
        CHORUS_DISCORD__USER_COOLDOWN_S="0",
        CHORUS_DISCORD__GUILD_COOLDOWN_S="0",
        CHORUS_RETRIEVAL__TOP_K="12",  # enough source text for a multi-message answer
    )
    process = BotProcess(env, workdir)
    try:
        process.wait_connected(fake)
        yield process
    finally:
        process.stop()
    assert "Traceback" not in process.log(), process.log()


def answer_of(fake: LocalDiscord, payload: dict[str, Any], text: str) -> list[Received]:
    """The messages the bot sent for an interaction, once one of them contains `text`."""
    sent = fake.wait_final(payload, text)
    return [r for r in sent if r.message is not None and r.status == 200]


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"type": kind, "name": name, "value": value}


def upload(
    fake: LocalDiscord,
    command: str,
    filename: str,
    data: bytes,
    *options: dict[str, Any],
    user_id: int = MODERATOR,
    perms: int = MANAGE_GUILD,
) -> dict[str, Any]:
    """`command` with a file attachment (served by the fake), by a moderator unless told."""
    attachment = fake.attachment(filename, data)
    return fake.slash(
        command,
        [option("file", attachment["id"], kind=11), *options],
        guild=GUILD_A,
        resolved={"attachments": {attachment["id"]: attachment}},
        user_id=user_id,
        perms=perms,
    )


def add_pasted(fake: LocalDiscord, guild: int, title: str, text: str) -> str:
    """A moderator adds pasted text through /sources add's modal; returns the source id."""
    shown = fake.slash("sources add", guild=guild, user_id=MODERATOR, perms=MANAGE_GUILD)
    callback = fake.wait_for(
        "the modal", lambda _: [r for r in fake.replies_to(shown) if r.kind == "callback"]
    )[0]
    assert callback.body["type"] == 9, callback.body  # MODAL
    modal = callback.body["data"]
    inputs = [row["components"][0]["custom_id"] for row in modal["components"]]
    submit = fake.interaction(
        5,
        {
            "custom_id": modal["custom_id"],
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
                for cid, value in zip(inputs, [title, text], strict=True)
            ],
        },
        guild=guild,
        user_id=MODERATOR,
        perms=MANAGE_GUILD,
    )
    final = answer_of(fake, submit, "Source added.")[-1]
    return final.text().split("`")[1]


# -- login, sync, gateway ------------------------------------------------------------------
def test_login_sync_and_identify(fake: LocalDiscord, bot: BotProcess) -> None:
    got = fake.requests()
    login = [r for r in got if r.path == "/users/@me"]
    assert login and login[0].headers["Authorization"] == f"Bot {fake.token}"
    assert any(r.path == "/oauth2/applications/@me" for r in got)
    syncs = [r for r in got if r.kind == "sync"]
    assert [r.path for r in syncs] == [f"/applications/{APP_ID}/commands"]  # global
    names = {c["name"] for c in syncs[0].body}
    assert {"ask", "check", "sources", "dataset", "clusters", "cluster", "help"} <= names
    assert "Fact-check this message" in names
    identify = fake.gateway_ops(2)[0]["d"]
    assert identify["intents"] == bot_intents().value
    assert not identify["intents"] & (1 << 15)  # no privileged message-content intent
    wait_until(lambda: fake.gateway_ops(1), 10, "a heartbeat")


# -- answers -------------------------------------------------------------------------------
def test_ask_defers_then_follows_up_with_cited_sources(
    fake: LocalDiscord, model: LocalModel, bot: BotProcess
) -> None:
    asked = fake.slash(
        "ask", [option("question", "How many accounts did Twitter suspend?")], guild=GUILD_A
    )
    sent = answer_of(fake, asked, "[1]")
    callback = fake.replies_to(asked)[0]
    assert callback.kind == "callback" and callback.body["type"] == 5  # deferred, thinking
    follow = sent[-1]
    assert follow.kind == "followup" and follow.query.get("wait") in ("1", "true")
    embed = follow.body["embeds"][0]
    assert embed["title"] == "How many accounts did Twitter suspend?"
    assert "[1]" in embed["description"]
    assert embed["fields"][0]["name"].startswith("[1] ")
    assert "local-model" in embed["footer"]["text"]
    # The model saw the demo source fenced as data, and the system prompt said so.
    prompt = model.calls[-1]
    assert '<source n="1"' in prompt.user and "untrusted data" in prompt.system


def test_check_and_the_fact_check_menu(fake: LocalDiscord, bot: BotProcess) -> None:
    claim = "Twitter suspended 70 accounts"
    checked = fake.slash("check", [option("claim", claim)], guild=GUILD_A)
    assert "Verdict: supported" in answer_of(fake, checked, "[1]")[-1].text()
    target = fake.message_object(
        fake.channel_of(GUILD_A),
        {"id": "4242", "username": "x", "discriminator": "0", "avatar": None},
        claim,
    )
    menu = fake.interaction(
        2,
        {
            "id": "1",
            "type": 3,
            "name": "Fact-check this message",
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        },
        guild=GUILD_A,
    )
    text = answer_of(fake, menu, "[1]")[-1].text()
    assert claim in text and "Verdict: supported" in text


def test_a_long_answer_is_split_within_discord_limits(
    fake: LocalDiscord, model: LocalModel, bot: BotProcess
) -> None:
    report = " ".join(
        f"Audit {n} traced {n * 7} Tidewater accounts to relay server {n} in district {n + 40}."
        for n in range(1, 90)
    )
    added = upload(
        fake, "sources add", "audits.txt", report.encode(), option("title", "Tidewater audits")
    )
    answer_of(fake, added, "Source added.")
    asked = fake.slash(
        "ask", [option("question", "What did the Tidewater audits trace, in full?")], guild=GUILD_A
    )
    # The footer (the mode line) closes the last message: wait for it, not the first page.
    sent = answer_of(fake, asked, "each sentence cites its sources")
    assert all(r.status == 200 for r in fake.replies_to(asked)), [
        r.error for r in fake.replies_to(asked)
    ]
    followups = [r for r in sent if r.kind == "followup"]
    assert len(followups) >= 2  # more than one message's worth (6,000 characters of embeds)
    shown = "".join(
        e.get("description") or "" for r in followups for e in r.body.get("embeds") or []
    )
    plain = re.sub(r"\s*\[\d+\]", "", shown)
    reply = cite_sources(model.calls[-1], max_chars=LONG)
    assert len(reply) > 4_096  # longer than one embed, let alone one 2,000-character message
    for sentence in re.split(r"(?<=\])\s+", reply):
        words = re.sub(r"\s*\[\d+\]", "", sentence)
        assert words in plain, words  # every sentence whole, none cut
    assert not re.search(r"\[\d*$", shown) and "[]" not in shown


def test_a_429_on_a_follow_up_is_retried_after_retry_after(
    fake: LocalDiscord, bot: BotProcess
) -> None:
    fake.fail_next(
        "POST",
        r"^/webhooks/\d+/itoken-\d+$",
        429,
        {"message": "You are being rate limited.", "retry_after": 0.6, "global": False},
        {"Via": "1.1 google", "X-RateLimit-Scope": "user", "Retry-After": "1"},
    )
    asked = fake.slash(
        "ask", [option("question", "How many accounts did Twitter suspend?")], guild=GUILD_A
    )
    answer_of(fake, asked, "[1]")
    posts = [r for r in fake.replies_to(asked) if r.kind == "followup"]
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.6


def test_a_gateway_resume_while_an_answer_is_computed(
    fake: LocalDiscord, model: LocalModel, bot: BotProcess
) -> None:
    before = len(model.calls)
    try:
        slow = fake.slash(
            "ask", [option("question", "How many accounts, meanwhile?")], guild=GUILD_A
        )
        wait_until(lambda: len(model.calls) > before, 30, "the model call")  # being computed
        # Discord asks for a reconnect; an interaction it had queued comes with the replay.
        missed = fake.slash(
            "ask",
            [option("question", "How many accounts did Twitter suspend?")],
            guild=GUILD_A,
            send=False,
        )
        fake.request_reconnect(missed=[("INTERACTION_CREATE", missed)])
        resume = wait_until(lambda: fake.gateway_ops(6), 30, "RESUME")[0]["d"]
        assert resume["session_id"] == fake.session_id and resume["token"] == fake.token
        assert fake.connections == 2 and len(fake.gateway_ops(2)) == 1  # resumed, no IDENTIFY
        answer_of(fake, missed, "[1]")
        assert not [r for r in fake.replies_to(slow) if r.kind == "followup"]  # still waiting
    finally:
        RESUME_HOLD.set()
    answer_of(fake, slow, "[1]")  # the answer computed across the reconnect still arrives
    callbacks = [r for r in fake.replies_to(missed) if r.kind == "callback"]
    assert len(callbacks) == 1  # the replayed interaction was handled once


# -- chat ----------------------------------------------------------------------------------
def test_a_mention_and_a_reply_follow_up(
    fake: LocalDiscord, model: LocalModel, bot: BotProcess
) -> None:
    question = fake.message_create(GUILD_A, "<@930000000000000002> How many accounts?")

    def reply_to(message_id: str) -> list[Received]:
        return [
            r
            for r in fake.requests(kind="channel-message")
            if str((r.body.get("message_reference") or {}).get("message_id")) == message_id
        ]

    first = wait_until(lambda: reply_to(question["id"]), 60, "the answer to a mention")[0]
    assert "[1]" in first.text()
    answer = next(m for m in fake.messages.values() if m["embeds"] == first.body["embeds"])
    follow = fake.message_create(
        GUILD_A, "<@930000000000000002> And who reported it?", reply_to=answer
    )
    second = wait_until(lambda: reply_to(follow["id"]), 60, "the follow-up's answer")[0]
    assert "[1]" in second.text()
    # The follow-up went to the model with the earlier exchange as context.
    assert "Earlier in this conversation" in model.calls[-1].user
    assert "How many accounts?" in model.calls[-1].user


# -- sources and datasets ------------------------------------------------------------------
def test_sources_by_pasted_text_and_by_attachment_and_privacy(
    fake: LocalDiscord, model: LocalModel, bot: BotProcess
) -> None:
    add_pasted(fake, GUILD_A, "Larkspur Gazette", SECRET)
    html = b"<html><head><title>Harbor notes</title></head><body><p>The Harbor City office "
    html += b"rented desks to three consultancies in 2019.</p></body></html>"
    added = upload(fake, "sources add", "harbor.html", html)
    assert "Source added." in answer_of(fake, added, "Source added.")[-1].text()
    assert any(name.endswith("-harbor.html") for name in fake.downloads)  # from the fake CDN

    listed_a = fake.slash("sources list", guild=GUILD_A)
    text_a = "\n".join(r.text() for r in answer_of(fake, listed_a, "Larkspur"))
    assert "Harbor notes" in text_a or "harbor" in text_a
    listed_b = fake.slash("sources list", guild=GUILD_B)
    text_b = "\n".join(r.text() for r in answer_of(fake, listed_b, "Sources"))
    assert "Larkspur" not in text_b and "harbor" not in text_b.lower()

    calls = len(model.calls)
    asked_b = fake.slash(
        "ask", [option("question", "How many dormant accounts did Tidewater buy?")], guild=GUILD_B
    )
    shown_b = "\n".join(r.text() for r in answer_of(fake, asked_b, "How many dormant"))
    assert "Larkspur" not in shown_b and "400 dormant" not in shown_b
    assert all("Larkspur" not in c.user for c in model.calls[calls:])
    asked_a = fake.slash(
        "ask", [option("question", "How many dormant accounts did Tidewater buy?")], guild=GUILD_A
    )
    assert "400 dormant" in "\n".join(r.text() for r in answer_of(fake, asked_a, "[1]"))


def test_a_duplicate_names_its_source_and_force_adds_a_copy(
    fake: LocalDiscord, bot: BotProcess
) -> None:
    body = b"The Harbor City office filed nine identical press releases on one day."
    first = answer_of(fake, upload(fake, "sources add", "a.txt", body), "Source added.")[-1]
    first_id = first.text().split("`")[1]
    again = answer_of(fake, upload(fake, "sources add", "b.txt", body), "Already a source.")
    assert f"`{first_id}`" in again[-1].text() and "force:True" in again[-1].text()
    forced = upload(fake, "sources add", "b.txt", body, option("force", True, kind=5))
    copy_id = answer_of(fake, forced, "Source added.")[-1].text().split("`")[1]
    assert copy_id != first_id
    listed = fake.slash("sources list", guild=GUILD_A)
    text = "\n".join(r.text() for r in answer_of(fake, listed, copy_id))
    assert first_id in text


def test_a_non_moderator_is_refused_privately(fake: LocalDiscord, bot: BotProcess) -> None:
    refused = upload(
        fake, "sources add", "nope.txt", b"should never be read", user_id=MEMBER, perms=0
    )
    callback = answer_of(fake, refused, "Only moderators")[0]
    assert callback.kind == "callback" and callback.body["type"] == 4
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert not any(name.endswith("-nope.txt") for name in fake.downloads)


def test_dataset_add_with_progress_then_clusters_and_cluster_pngs(
    fake: LocalDiscord, bot: BotProcess
) -> None:
    csv = (FIXTURES / "posts" / "tiny.csv").read_bytes()
    added = upload(fake, "dataset add", "tiny.csv", csv)
    sent = answer_of(fake, added, "Analysed")
    edits = [r for r in sent if r.kind == "edit"]
    assert edits[0].body["content"].startswith("Analysing tiny.csv: ")  # progress, live
    assert edits[-1].body["content"].startswith("Analysed tiny")
    listed = fake.slash("clusters", guild=GUILD_A)
    text = "\n".join(r.text() for r in answer_of(fake, listed, "`c"))
    cluster_id = re.findall(r"`(c[0-9a-f]+)`", text)[0]
    shown = fake.slash("cluster", [option("id", cluster_id)], guild=GUILD_A)
    follow = answer_of(fake, shown, cluster_id)[0]  # the files go with the first page
    pngs = {n: d for n, d in follow.files.items() if n.endswith(".png")}
    assert pngs and all(d.startswith(b"\x89PNG\r\n\x1a\n") for d in pngs.values())
    # Another server cannot open it: told privately that there is no such cluster.
    other = fake.slash("cluster", [option("id", cluster_id)], guild=GUILD_B)
    refusal = answer_of(fake, other, "no cluster")[-1]
    assert refusal.ephemeral and not refusal.files


# -- last: over everything the bot sent in this module ---------------------------------------
def test_nothing_the_bot_sent_could_ping_anyone(fake: LocalDiscord, bot: BotProcess) -> None:
    messages = [r for r in fake.requests() if r.message is not None and r.status == 200]
    assert len(messages) > 20
    assert_no_mentions(messages)
    assert not [r.text() for r in messages if re.search(r"@(everyone|here)", r.text())]
    rejected = [(r.path, r.error) for r in fake.requests() if r.status == 400]
    assert not rejected, rejected
