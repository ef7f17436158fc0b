"""/sources: moderation, attachments, URLs, and servers that cannot see each other."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.assistant import Assistant
from tests.corpus.corpus_support import serve
from tests.discord.discord_harness import MANAGE, NO_PERMS, add_pasted, assert_no_mentions, spy

A, B = 201, 202


async def test_list_shows_who_added_what_and_when(assistant: Assistant, make_harness: Any) -> None:
    h = await make_harness(assistant)
    source_id = await add_pasted(
        h, A, "Field notes", "Forty-one burner accounts posted at 3 am.", user=31
    )
    run = await h.slash("sources list", guild=A, user=99)
    assert run.final.ephemeral
    text = run.final.text()
    assert f"`{source_id}` **Field notes**" in text
    assert "added by discord:31 (user31)" in text
    assert "bundled demo, shared with every server" in text
    record = next(s for s in assistant.sources(h_req(A)) if s.id == source_id)
    assert record.added_at[:10] in text
    assert_no_mentions(run.sent)


def h_req(guild: int) -> Any:
    from bot.assistant import Requester

    return Requester(scope=f"guild:{guild}", user="test")


async def test_servers_cannot_see_list_cite_or_remove_each_others_sources(
    assistant: Assistant, make_harness: Any
) -> None:
    h = await make_harness(assistant)
    a_id = await add_pasted(h, A, "Alpha finding", "Forty-one burner accounts were run from Lagos.")
    b_id = await add_pasted(h, B, "Beta note", "The Rotterdam network used nine accounts.")

    b_list = (await h.slash("sources list", guild=B)).final.text()
    assert b_id in b_list and a_id not in b_list and "Alpha" not in b_list

    question = "How many burner accounts were run from Lagos?"
    assert "Forty-one burner" in (await h.slash("ask", guild=A, question=question)).text()
    answer = await h.slash("ask", guild=B, question=question)
    assert "Forty-one" not in answer.text() and "Alpha" not in answer.text()

    # A foreign id fails exactly like an id that never existed.
    foreign = await h.slash("sources remove", guild=B, perms=MANAGE, id=a_id)
    missing = await h.slash("sources remove", guild=B, perms=MANAGE, id="0123456789")
    assert foreign.final.ephemeral and missing.final.ephemeral
    assert foreign.final.text().replace(a_id, "ID") == missing.final.text().replace(
        "0123456789", "ID"
    )
    assert [s.kind for s in foreign.sent] == [s.kind for s in missing.sent]
    assert a_id in (await h.slash("sources list", guild=A)).final.text()  # untouched

    # The shared demo is readable everywhere but removable nowhere.
    demo_id = next(s.id for s in assistant.sources(h_req(A)) if s.scope == "demo")
    demo = await h.slash("sources remove", guild=A, perms=MANAGE, id=demo_id)
    assert demo.final.text().startswith(f"{demo_id} is the built-in demo source")

    removed = await h.slash("sources remove", guild=A, perms=MANAGE, id=a_id)
    assert "was removed" in removed.final.text() and not removed.final.ephemeral
    assert a_id not in (await h.slash("sources list", guild=A)).final.text()
    assert_no_mentions(h.recorder.sent)  # every message of this test, errors included


async def test_changing_sources_needs_a_moderator(
    make_settings: Any, embeddings: Any, make_harness: Any
) -> None:
    assistant = Assistant(make_settings(moderator_role="5551"), embeddings=embeddings)
    h = await make_harness(assistant)
    h.add_guild(A, roles={"Fact Checkers": 5551, "Readers": 5552})

    for path, options in (("sources add", {}), ("sources remove", {"id": "abc"})):
        denied = await h.slash(path, guild=A, roles=[5552], **options)
        assert [s.kind for s in denied.sent] == ["callback"] and denied.final.ephemeral
        assert denied.modal is None
        assert "Only moderators" in denied.final.text()
        assert "Manage Server permission or the moderator role" in denied.final.text()

    by_role = await h.slash("sources add", guild=A, roles=[5551])
    assert by_role.modal is not None
    by_permission = await h.slash("sources add", guild=A, perms=MANAGE)
    assert by_permission.modal is not None

    # Moderation lost between showing the form and submitting it: the Assistant refuses too.
    late = await h.submit_modal(by_role.modal, ["t", "Some text."], guild=A, perms=NO_PERMS)
    assert late.final.ephemeral and "only moderators can add sources" in late.final.text()
    assert all(s.scope == "demo" for s in assistant.sources(h_req(A)))


async def test_an_attachment_is_added_under_its_last_name_component_only(
    assistant: Assistant, make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ingest_bytes")
    h = await make_harness(assistant)
    for hostile, safe in (
        ("../../../etc/cron.d/evil.txt", "evil.txt"),
        ("..\\..\\notes.md", "notes.md"),
    ):
        att = h.attachment(
            hostile, f"Report {safe}: sixty accounts reposted the same link.".encode()
        )
        run = await h.slash(
            "sources add", guild=A, perms=MANAGE, attachments={"file": att}, title=f"From {safe}"
        )
        assert "Source added." in run.final.text(), run.final.text()
        assert calls[-1][1] == safe
    urls = [s.origin for s in assistant.sources(h_req(A))]
    assert "attachment:evil.txt" in urls and "attachment:notes.md" in urls
    assert not any(".." in u or "/etc/" in u for u in urls)
    titles = [s.title for s in assistant.sources(h_req(A))]
    assert "From evil.txt" in titles


async def test_a_duplicate_names_the_source_holding_it_and_force_adds_a_copy(
    assistant: Assistant, make_harness: Any
) -> None:
    h = await make_harness(assistant)
    body = b"Sixty accounts reposted the same link within ninety seconds."
    first = await h.slash(
        "sources add", guild=A, perms=MANAGE, attachments={"file": h.attachment("a.txt", body)}
    )
    assert "Source added." in first.final.text()
    first_id = first.final.text().split("`")[1]
    again = await h.slash(
        "sources add", guild=A, perms=MANAGE, attachments={"file": h.attachment("b.txt", body)}
    )
    text = again.final.text()
    assert "Already a source." in text and f"`{first_id}`" in text and "force:True" in text
    assert [s.id for s in assistant.sources(h_req(A)) if s.scope != "demo"] == [first_id]

    forced = await h.slash(
        "sources add",
        guild=A,
        perms=MANAGE,
        attachments={"file": h.attachment("b.txt", body)},
        title="Mirror",
        force=True,
    )
    assert "Source added." in forced.final.text(), forced.final.text()
    copy_id = forced.final.text().split("`")[1]
    plain = await h.slash("sources add", guild=A, perms=MANAGE)  # the paste form, then force
    assert plain.modal is not None
    again = await h.submit_modal(plain.modal, ["Pasted", body.decode()], guild=A, perms=MANAGE)
    assert "Already a source." in again.final.text(), again.final.text()
    shown = await h.slash("sources add", guild=A, perms=MANAGE, force=True)
    assert shown.modal is not None
    pasted = await h.submit_modal(shown.modal, ["Pasted", body.decode()], guild=A, perms=MANAGE)
    assert "Source added." in pasted.final.text(), pasted.final.text()
    pasted_id = pasted.final.text().split("`")[1]
    mine = {s.id: s for s in assistant.sources(h_req(A)) if s.scope != "demo"}
    assert set(mine) == {first_id, copy_id, pasted_id} and len(mine) == 3
    assert mine[copy_id].title == "Mirror" and mine[copy_id].sha256 == mine[first_id].sha256
    assert_no_mentions(forced.sent)


async def test_attachment_size_and_type_are_refused_before_download(
    make_settings: Any, embeddings: Any, make_harness: Any
) -> None:
    assistant = Assistant(
        make_settings(discord={"max_attachment_bytes": 1000}), embeddings=embeddings
    )
    h = await make_harness(assistant)
    big = h.attachment("big.txt", b"x" * 10, size=50_000)
    run = await h.slash("sources add", guild=A, perms=MANAGE, attachments={"file": big})
    assert [s.kind for s in run.sent] == ["callback"] and run.final.ephemeral
    assert "50,000 bytes; the limit is 1,000" in run.final.text()

    exe = h.attachment("payload.exe", b"MZ")
    run = await h.slash("sources add", guild=A, perms=MANAGE, attachments={"file": exe})
    assert run.final.ephemeral and "unsupported file type '.exe'" in run.final.text()
    assert h.downloads == []

    # Discord said 10 bytes; the CDN served more than the limit: refused after reading.
    liar = h.attachment("liar.txt", b"y" * 5000, size=10)
    run = await h.slash("sources add", guild=A, perms=MANAGE, attachments={"file": liar})
    assert run.final.ephemeral and "5,000 bytes; the limit is 1,000" in run.final.text()
    assert all(s.scope == "demo" for s in assistant.sources(h_req(A)))

    both = h.attachment("a.txt", b"text")
    run = await h.slash(
        "sources add", guild=A, perms=MANAGE, attachments={"file": both}, url="https://example.org/"
    )
    assert run.final.text() == "give a URL or a file, not both"


async def test_a_url_option_never_reads_a_local_path(
    assistant: Assistant, make_harness: Any, tmp_path: Any
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("The server's private key is hunter2.")
    h = await make_harness(assistant)
    for target in (str(secret), f"file://{secret}"):
        run = await h.slash("sources add", guild=A, perms=MANAGE, url=target)
        assert run.final.ephemeral
        assert "only" in run.final.text() and "http" in run.final.text()
        assert "hunter2" not in run.final.text()
    assert all(s.scope == "demo" for s in assistant.sources(h_req(A)))


REPORT_PAGE = (
    b"<html><head><title>Local report</title></head><body><article><p>The network "
    b"posted 300 identical messages within four minutes, said the researchers.</p>"
    b"</article></body></html>"
)


@pytest.fixture
def local_site() -> Iterator[str]:
    with serve() as server:
        server.reply("/report.html", REPORT_PAGE)
        yield server.url("/report.html")


async def test_a_url_is_fetched_and_added_with_progress(
    make_settings: Any, embeddings: Any, make_harness: Any, local_site: str
) -> None:
    # Loopback is private: only a setting lets the test's own server be reached.
    assistant = Assistant(make_settings(allow_private_urls=True), embeddings=embeddings)
    h = await make_harness(assistant)
    run = await h.slash("sources add", guild=A, perms=MANAGE, url=local_site)
    assert "Source added." in run.final.text(), run.final.text()
    assert run.sent[0].kind == "callback"
    assert any(s.kind == "edit" and "Adding the source:" in s.text() for s in run.sent)
    assert_no_mentions(run.sent)
    ask = await h.slash(
        "ask", guild=A, question="How many identical messages did the network post?"
    )
    assert "300 identical messages" in ask.text() and local_site in ask.text()


async def test_private_addresses_are_refused_by_default(
    assistant: Assistant, make_harness: Any, local_site: str
) -> None:
    h = await make_harness(assistant)
    run = await h.slash("sources add", guild=A, perms=MANAGE, url=local_site)
    assert run.final.ephemeral
    assert "127.0.0.1" in run.final.text() and "refused" in run.final.text()
    assert all(s.scope == "demo" for s in assistant.sources(h_req(A)))


async def test_a_second_ingest_while_one_runs_is_refused_and_the_bot_stays_responsive(
    make_settings: Any, embeddings: Any, make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant(make_settings(limits={"max_jobs_per_scope": 1}), embeddings=embeddings)
    h = await make_harness(assistant)
    started, release = threading.Event(), threading.Event()
    real_add = assistant.library.add

    def slow_add(doc: Any, **kwargs: Any) -> Any:
        if doc.title == "One":  # only the first ingest is slow (not the demo's, for example)
            started.set()
            release.wait(10)
        return real_add(doc, **kwargs)

    monkeypatch.setattr(assistant.library, "add", slow_add)
    form = (await h.slash("sources add", guild=A, perms=MANAGE)).modal
    first = asyncio.create_task(
        h.submit_modal(form, ["One", "The first text."], guild=A, perms=MANAGE)
    )
    assert await asyncio.to_thread(started.wait, 10)
    # While the first ingest holds its worker thread, the bot still answers others...
    assert "Sources" in (await h.slash("sources list", guild=B)).final.text()
    # ...and refuses a second job in the same server, saying why.
    form2 = (await h.slash("sources add", guild=A, perms=MANAGE, user=8)).modal
    second = await h.submit_modal(form2, ["Two", "The second text."], guild=A, perms=MANAGE)
    assert second.final.ephemeral and "already running here" in second.final.text()
    release.set()
    assert "Source added." in (await first).final.text()
