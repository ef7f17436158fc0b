"""The Assistant enforces scopes, moderation and limits for every front end."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Assistant, PermissionDenied, Requester
from common.errors import LimitError, NotFoundError

ALICE = Requester(scope="guild:1", user="discord:10 (alice)", can_moderate=True)
BOB = Requester(scope="guild:2", user="discord:20 (bob)", can_moderate=True)
VIEWER = Requester(scope="guild:1", user="discord:11 (viewer)", can_moderate=False)


def test_servers_cannot_see_list_cite_or_remove_each_others_sources(assistant: Assistant) -> None:
    secret = assistant.ingest_text(
        "The leaked memo says 412 accounts were run from a single phone farm.", "Memo", ALICE
    ).source
    assert secret is not None
    assert secret.id in {s.id for s in assistant.sources(ALICE)}
    assert secret.id not in {s.id for s in assistant.sources(BOB)}
    answer = assistant.ask("How many accounts were run from the phone farm?", BOB)
    assert all(c.source_id != secret.id for c in answer.citations)
    assert "412" not in answer.answer
    check = assistant.check("412 accounts were run from a phone farm", BOB)
    assert all(c.source_id != secret.id for c in check.citations)

    with pytest.raises(NotFoundError) as foreign:
        assistant.remove_source(secret.id, BOB)
    with pytest.raises(NotFoundError) as missing:
        assistant.remove_source("ffffffffff", BOB)
    assert str(foreign.value).replace(secret.id, "ID") == str(missing.value).replace(
        "ffffffffff", "ID"
    )
    assert secret.id in {s.id for s in assistant.sources(ALICE)}


def test_the_demo_is_shared_but_cannot_be_removed_from_a_server(assistant: Assistant) -> None:
    demo_a = {s.id for s in assistant.sources(ALICE)}
    demo_b = {s.id for s in assistant.sources(BOB)}
    assert demo_a == demo_b and len(demo_a) == 1
    # Every server lists it, so the refusal says what it is (not "no source with id").
    with pytest.raises(PermissionDenied, match=r"is the built-in demo source"):
        assistant.remove_source(next(iter(demo_a)), ALICE)


def test_the_demo_can_be_switched_off(make_settings: Any, embeddings: Any) -> None:
    quiet = Assistant(make_settings(shared_demo=False), embeddings=embeddings)
    assert quiet.sources(ALICE) == []
    assert quiet.ask("How many accounts did Twitter suspend?", ALICE).refused


def test_moderation_is_enforced_by_the_assistant_itself(
    assistant: Assistant, tmp_path: Path
) -> None:
    note = tmp_path / "n.txt"
    note.write_text("A note.")
    with pytest.raises(PermissionDenied):
        assistant.ingest([str(note)], VIEWER)
    with pytest.raises(PermissionDenied):
        assistant.ingest_text("text", "t", VIEWER)
    added = assistant.ingest_text("A note about 9 accounts.", "t", ALICE).source
    assert added is not None
    with pytest.raises(PermissionDenied):
        assistant.remove_source(added.id, VIEWER)
    assert assistant.ask("How many accounts?", VIEWER).citations  # reading is for everyone


def test_records_who_added_what(assistant: Assistant) -> None:
    item = assistant.ingest_text("Organizers posted identical text.", "Notes", ALICE)
    assert item.source is not None
    listed = {s.id: s for s in assistant.sources(ALICE)}[item.source.id]
    assert listed.added_by == "discord:10 (alice)" and listed.added_at.endswith("+00:00")


def test_concurrent_jobs_per_server_are_bounded(make_settings: Any, embeddings: Any) -> None:
    assistant = Assistant(make_settings(limits={"max_jobs_per_scope": 1}), embeddings=embeddings)
    release = threading.Event()
    started = threading.Event()
    real_add = assistant.library.add

    def slow_add(*args: Any, **kwargs: Any) -> Any:
        if not started.is_set():  # only the first ingest is held up
            started.set()
            assert release.wait(10)
        return real_add(*args, **kwargs)

    assistant.library.add = slow_add  # type: ignore[method-assign]
    worker = threading.Thread(target=assistant.ingest_text, args=("first text", "1", ALICE))
    worker.start()
    assert started.wait(10)
    with pytest.raises(LimitError, match="try again"):
        assistant.ingest_text("second text", "2", ALICE)
    assistant.ingest_text("another server is not blocked", "3", BOB)
    release.set()
    worker.join()
    assistant.ingest_text("after the first finished", "4", ALICE)


def test_cluster_summaries_left_by_an_earlier_version_are_removed(
    make_settings: Any, embeddings: Any
) -> None:
    """Earlier versions indexed cluster summaries as sources (origin chorus:dataset/...);
    the first Assistant on such a data dir removes them, doctor says so, and a user's own
    source that merely looks alike (same origin, other title) stays."""
    from corpus.reporting.documents import make_document
    from retrieval.library import Library

    settings = make_settings(shared_demo=False)
    old = Library(settings.data_dir, settings.retrieval, embeddings=embeddings)
    for dataset in ("a", "a/cluster/b"):
        old.add(
            make_document(
                f"Coordination cluster c1 in dataset {dataset}: 3 accounts ...",
                title=f"Coordination cluster c1 in dataset {dataset}",
                origin=f"chorus:dataset/{dataset}/cluster/c1",
                kind="text",
            ),
            scope="local",
            added_by="chorus",
        )
    mine = old.add(
        make_document(
            "My notes on the campaign.",
            title="notes",
            origin="chorus:dataset/notes",
            kind="text",
        ),
        scope="local",
        added_by="me",
    ).source
    old.catalog.close()

    assistant = Assistant(settings, embeddings=embeddings)
    assert [s.id for s in assistant.sources(Requester.local())] == [mine.id]
    report = assistant.doctor()
    assert report.consistent and any("removed 2 cluster summaries" in r for r in report.repairs)
    assert assistant.doctor().repairs == []
