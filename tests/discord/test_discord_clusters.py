"""/dataset add, /clusters, /cluster: progress, plots, limits, and isolation between servers.

The patterns methods of the Assistant are being written elsewhere; these tests run the cogs
against `PatternsAssistant` (conftest.py), which has the agreed names and shapes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from bot.assistant import Assistant
from bot.cogs._support import StatusProgress
from bot.discord_permissions import DM_MODERATION
from tests.discord.discord_harness import MANAGE, add_campaign_dataset, assert_no_mentions
from tests.discord.fakes import PatternsAssistant

A, B = 301, 302
CSV = b"post_id,account_id,created_at,text\np1,a1,2020-02-21T18:02:00Z,Mike will get it done\n"


async def add_dataset(h: Any, guild: int, name: str | None = "campaign") -> Any:
    att = h.attachment("posts.csv", CSV)
    options = {"name": name} if name else {}
    return await h.slash(
        "dataset add", guild=guild, perms=MANAGE, attachments={"file": att}, **options
    )


async def test_a_dataset_is_analysed_on_arrival_with_throttled_progress(
    patterns_assistant: PatternsAssistant, make_harness: Any
) -> None:
    h = await make_harness(patterns_assistant)
    run = await add_dataset(h, A)
    assert run.sent[0].body == {"type": 5}
    edits = [s for s in run.sent if s.kind == "edit"]
    # Five progress reports within milliseconds: one status edit, then the result.
    assert len(edits) == 2
    assert edits[0].text() == "Analysing posts.csv: analysing 0/4 (0%)"
    final = edits[-1]
    assert final.body["content"] == "Analysed campaign: 140 posts, 75 accounts, 1 cluster."
    cluster_id = patterns_assistant.stored[f"guild:{A}"]["campaign"].clusters[0].id
    assert f"`{cluster_id}` \u00b7 70 accounts \u00b7 text (12), url (3)" in final.text()
    assert "18:09 (7 min) \u00b7 score 0.93" in final.text()
    ((data, filename, req, name),) = patterns_assistant.uploads
    assert (data, filename, name) == (CSV, "posts.csv", "campaign")
    assert req.scope == f"guild:{A}" and req.can_moderate
    assert_no_mentions(run.sent)


async def test_a_dataset_without_clusters_says_why(
    patterns_assistant: PatternsAssistant, make_harness: Any
) -> None:
    h = await make_harness(patterns_assistant)
    run = await add_dataset(h, A, name="quiet")
    assert "0 clusters" in run.final.text()
    assert "no clusters at window 60 s, min-shared 2; try a larger window" in run.final.text()
    assert "/dataset add" not in run.final.text()  # not "add a dataset": one was just added


async def test_adding_datasets_needs_a_moderator_in_a_server(
    patterns_assistant: PatternsAssistant, make_harness: Any
) -> None:
    h = await make_harness(patterns_assistant)
    att = h.attachment("posts.csv", CSV)
    denied = await h.slash("dataset add", guild=A, attachments={"file": att})
    assert denied.final.ephemeral and "Only moderators can add datasets" in denied.final.text()
    dm = await h.slash("dataset add", user=5, perms=MANAGE, attachments={"file": att})
    assert dm.final.text() == DM_MODERATION
    assert h.downloads == [] and patterns_assistant.uploads == []


async def test_dataset_type_size_and_content_errors(
    make_settings: Any, embeddings: Any, make_harness: Any
) -> None:
    assistant = PatternsAssistant(
        make_settings(limits={"max_dataset_bytes": 100}), embeddings=embeddings
    )
    h = await make_harness(assistant)
    for att, expected in (
        (h.attachment("posts.xlsx", b"PK"), "unsupported file type '.xlsx' for datasets"),
        (
            h.attachment("../../posts.csv", b"x", size=101),
            "posts.csv is 101 bytes; the limit is 100",
        ),
    ):
        run = await h.slash("dataset add", guild=A, perms=MANAGE, attachments={"file": att})
        assert [s.kind for s in run.sent] == ["callback"] and run.final.ephemeral
        assert expected in run.final.text()
    assert h.downloads == []
    bad = await h.slash(
        "dataset add", guild=A, perms=MANAGE, attachments={"file": h.attachment("x.csv", b"nope")}
    )
    assert bad.final.ephemeral and bad.final.text() == "x.csv: line 1: no post_id column"


async def test_clusters_and_one_cluster_with_its_plots(
    patterns_assistant: PatternsAssistant, make_harness: Any
) -> None:
    h = await make_harness(patterns_assistant)
    await add_dataset(h, A)
    cluster_id = patterns_assistant.stored[f"guild:{A}"]["campaign"].clusters[0].id

    listing = await h.slash("clusters", guild=A)
    assert (
        f"`{cluster_id}`" in listing.final.text()
        and "140 posts from 75 accounts" in listing.final.text()
    )
    only = await h.slash("clusters", guild=A, dataset="campaign")
    assert "Clusters in campaign" in only.final.text()

    detail = await h.slash("cluster", guild=A, id=cluster_id)
    final = detail.final
    assert final.files == ["timeline.png", "network.png"]
    embed = final.body["embeds"][0]
    assert embed["title"] == f"Cluster {cluster_id}"
    assert "70 accounts posted the same content within 60 s" in embed["description"]
    post = embed["fields"][0]
    assert post["name"].startswith("acct0")
    assert "Mike will get it done." in post["value"]
    assert "@everyone" not in final.text() and "<@&123>" not in final.text()
    assert_no_mentions(detail.sent)


async def test_servers_cannot_see_each_others_datasets_or_clusters(
    patterns_assistant: PatternsAssistant, make_harness: Any
) -> None:
    h = await make_harness(patterns_assistant)
    await add_dataset(h, A)
    a_cluster = patterns_assistant.stored[f"guild:{A}"]["campaign"].clusters[0].id

    listing = await h.slash("clusters", guild=B)
    assert (
        a_cluster not in listing.final.text() and "No coordination clusters" in listing.final.text()
    )

    foreign = await h.slash("cluster", guild=B, id=a_cluster)
    missing = await h.slash("cluster", guild=B, id="c0000000")
    assert foreign.final.ephemeral and missing.final.ephemeral
    assert foreign.final.text().replace(a_cluster, "ID") == missing.final.text().replace(
        "c0000000", "ID"
    )
    assert [s.kind for s in foreign.sent] == [s.kind for s in missing.sent]

    foreign_set = await h.slash("clusters", guild=B, dataset="campaign")
    missing_set = await h.slash("clusters", guild=B, dataset="nothing")
    assert foreign_set.final.text().replace("campaign", "X") == missing_set.final.text().replace(
        "nothing", "X"
    )
    assert_no_mentions(h.recorder.sent)  # every message of this test, errors included


async def test_the_real_assistant_end_to_end(
    assistant: Assistant, make_harness: Any, tmp_path: Path
) -> None:
    """/dataset add, /clusters and /cluster over the real patterns engine and index."""
    h = await make_harness(assistant)
    run = await add_campaign_dataset(h, A, tmp_path)
    assert "Analysed campaign: 12 posts, 6 accounts, 1 cluster." in run.final.text()
    [cluster] = assistant.clusters(assistant_req(A)).clusters
    listing = await h.slash("clusters", guild=A)
    assert f"`{cluster.id}`" in listing.final.text()

    detail = await h.slash("cluster", guild=A, id=cluster.id)
    assert detail.final.files == ["cluster.png"]
    assert "camp1" in detail.final.text()

    # Coordination questions are answered from the analysis, citing dataset and posts.
    asked = await h.slash("ask", guild=A, question="Who is camp1 coordinating with?")
    text = asked.final.text()
    assert all(f"camp{k}" in text for k in (2, 3, 4)) and "org1" not in text
    assert cluster.id in text and "dataset campaign" in text
    account = await h.slash("account", guild=A, name="camp2")
    assert cluster.id in account.final.text() and "camp1" in account.final.text()
    alone = await h.slash("account", guild=A, name="org1")
    assert "In no cluster of dataset campaign at window 60 s" in alone.final.text()
    by_size = await h.slash("clusters", guild=A, sort="size")
    assert f"`{cluster.id}`" in by_size.final.text() and "by size" in by_size.final.text()
    elsewhere = await h.slash("account", guild=B, name="camp2")
    assert "no account named 'camp2'" in elsewhere.final.text()
    assert (
        "camp1"
        not in (
            await h.slash("ask", guild=B, question="Who is camp2 coordinating with?")
        ).final.text()
    )

    foreign = await h.slash("cluster", guild=B, id=cluster.id)
    missing = await h.slash("cluster", guild=B, id="c000000000000")
    assert foreign.final.text().replace(cluster.id, "ID") == missing.final.text().replace(
        "c000000000000", "ID"
    )
    assert_no_mentions(h.recorder.sent)


def assistant_req(guild: int) -> Any:
    from bot.assistant import Requester

    return Requester(scope=f"guild:{guild}", user="test", can_moderate=True)


async def test_cooldowns_per_user_and_per_server(
    patterns_assistant: PatternsAssistant, make_harness: Any, clock: Any
) -> None:
    h = await make_harness(patterns_assistant)
    clock.step = 0.0  # time stands still
    for _ in range(3):  # the default burst
        assert not (await h.slash("clusters", guild=A, user=1)).final.ephemeral
    slow = await h.slash("clusters", guild=A, user=1)
    assert [s.kind for s in slow.sent] == ["callback"] and slow.final.ephemeral
    assert slow.final.text().endswith("try again in 5 s.")
    # A refused moderation spends no cooldown; /help is never limited.
    assert "Only moderators" in (await h.slash("sources add", guild=A, user=2)).final.text()
    assert (await h.slash("help", guild=A, user=1)).final.ephemeral
    clock.now += 5.0
    assert not (await h.slash("clusters", guild=A, user=1)).final.ephemeral

    # The server's bucket: 20 at once from anyone, then one per second.
    for user in range(100, 116):
        assert not (await h.slash("clusters", guild=B, user=user)).final.ephemeral
    for user in range(200, 204):
        assert not (await h.slash("clusters", guild=B, user=user)).final.ephemeral
    busy = await h.slash("clusters", guild=B, user=999)
    assert busy.final.text().endswith("try again in 1 s.")


async def test_status_progress_throttles_edits_from_worker_threads() -> None:
    loop = asyncio.get_running_loop()
    shown: list[str] = []
    now = [0.0]

    async def edit(text: str) -> None:
        shown.append(text)

    progress = StatusProgress(loop, edit, label="Adding", interval_s=2.0, clock=lambda: now[0])

    def work() -> None:
        for done in range(10):
            now[0] = done * 0.5  # a report every half second: one edit per 2 s
            progress("embedding", done, 9)
            time.sleep(0.01)  # real work takes time; the loop shows each edit meanwhile

    await asyncio.to_thread(work)
    await progress.close()
    progress("embedding", 9, 9)  # after close: nothing more is shown
    await asyncio.sleep(0)
    assert shown == [
        "Adding: embedding 0/9 (0%)",
        "Adding: embedding 4/9 (44%)",
        "Adding: embedding 8/9 (88%)",
    ]
    assert threading.current_thread() is threading.main_thread()
