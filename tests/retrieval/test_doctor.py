from __future__ import annotations

import socket

from retrieval.catalog_records import NewChunk
from retrieval.doctor import diagnose
from retrieval.library import Library
from retrieval.source_store import source_id_for
from tests.retrieval.catalog_support import chunks_of
from tests.retrieval.conftest import CAMPAIGN, GARDEN, NDA, doc

DEAD_WRITER = f"{socket.gethostname()}:4194303"  # above the default pid_max: never alive


def _half_added(lib: Library, scope: str = "g1") -> str:
    """What a SIGKILL between 'rows written' and 'ready' leaves behind."""
    d = doc(GARDEN, "Half")
    sid = source_id_for(scope, d.sha256)
    chunks = [NewChunk(0, 0, len(d.text), d.text)]
    lib.catalog.begin_source(
        source_id=sid,
        scope=scope,
        title=d.title,
        origin=d.origin,
        kind=d.kind,
        added_by="a",
        sha256=d.sha256,
        text=d.text,
        chunks=chunks,
    )
    lib.index.add([f"{sid}:0"], [d.text], [{"source_id": sid, "scope": scope, "index": 0}])
    lib.catalog._conn().execute("UPDATE sources SET writer = ? WHERE id = ?", (DEAD_WRITER, sid))
    return sid


def test_a_half_added_source_is_invisible_and_doctor_removes_it(library: Library) -> None:
    library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a")
    sid = _half_added(library)
    assert [s.title for s in library.sources(["g1"])] == ["Campaign"]
    hits, _ = library.retrieve("tomatoes full sun watering", ["g1"])
    assert all(h.chunk.source_id != sid for h in hits)

    report = diagnose(library, repair=True)
    assert not report.consistent
    assert any("half-added" in p for p in report.problems)
    assert all(not i.startswith(sid) for i in library.index.ids())
    assert diagnose(library, repair=True).consistent
    # The same content can be added again afterwards.
    assert not library.add(doc(GARDEN, "Half"), scope="g1", added_by="a").duplicate


def test_doctor_repairs_vector_drift_and_half_removed_sources(library: Library) -> None:
    keep = library.add(doc(CAMPAIGN, "Campaign"), scope="g1", added_by="a").source
    going = library.add(doc(NDA, "NDA"), scope="g1", added_by="a").source
    library.catalog.mark_deleting(going.id)
    library.catalog._conn().execute(
        "UPDATE sources SET writer = ? WHERE id = ?", (DEAD_WRITER, going.id)
    )
    library.index.add(["ghost:0"], ["ghost"], [{"source_id": "ghost", "scope": "g1", "index": 0}])
    lost = f"{keep.id}:0"
    library.index.delete([lost], "g1")

    dry = diagnose(library, repair=False)
    assert len(dry.problems) == 3 and dry.repairs == []
    assert "ghost:0" in library.index.ids()  # a dry run changes nothing

    report = diagnose(library, repair=True)
    assert len(report.repairs) == 3
    assert library.index.ids() == {c.id for c in chunks_of(library.catalog, keep.id)}
    assert [s.id for s in library.catalog.all_sources()] == [keep.id]
    assert diagnose(library, repair=False).consistent


def test_a_source_being_written_by_a_live_process_is_left_alone(library: Library) -> None:
    sid = _half_added(library)
    from common.processes import writer_tag

    library.catalog._conn().execute(
        "UPDATE sources SET writer = ? WHERE id = ?", (writer_tag(), sid)
    )
    report = diagnose(library, repair=True)
    assert report.consistent
    assert f"{sid}:0" in library.index.ids()
