"""Uploads with images: a zip of posts and media is analysed with its images; a bare
upload's image_files never read the upload folder (it holds other servers' uploads)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from bot.assistant import Requester
from tests.patterns.test_images import _campaign

ALICE = Requester(scope="guild:1", user="discord:10 (alice)", can_moderate=True)


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode()


def test_a_zip_upload_brings_its_images(assistant: Any, tmp_path: Path) -> None:
    rows = _campaign(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("posts.csv", _csv(rows))
        for f in sorted((tmp_path / "media").iterdir()):
            z.write(f, f"media/{f.name}")
    result = assistant.analyze_upload(buf.getvalue(), "export.zip", ALICE)
    assert result.dataset == "export"
    assert [sorted(c.accounts) for c in result.clusters] == [[f"squad{a}" for a in range(4)]]


def test_a_bare_upload_reads_no_files_beside_it(assistant: Any, tmp_path: Path) -> None:
    rows = _campaign(tmp_path)
    uploads = assistant.settings.data_dir / "uploads"
    (uploads / "media").mkdir(parents=True)
    for f in (tmp_path / "media").iterdir():
        (uploads / "media" / f.name).write_bytes(f.read_bytes())
    result = assistant.analyze_upload(_csv(rows), "posts.csv", ALICE)
    assert not result.clusters
    assert any("no folder to read image files from" in n for n in result.notes)


def test_an_image_is_found_however_the_question_names_it(assistant: Any, tmp_path: Path) -> None:
    # A new user asked by the key Chorus prints (unquoted), by a file path and by the hash of
    # one member of a near-identical group, and was told no post carries the image.
    data = tmp_path / "export"
    data.mkdir()
    buf = io.StringIO()
    rows = _campaign(data)
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    (data / "posts.csv").write_text(buf.getvalue())
    result = assistant.analyze(str(data / "posts.csv"), ALICE)
    squad = {f"squad{a}" for a in range(4)}
    (cluster,) = result.clusters
    detail = assistant.cluster(cluster.id, ALICE)
    key = next(t.value for t in detail.top_items["image"])  # 'phash:<16 hex>'
    member_hash = next(m.hash_b for m in detail.image_matches if f"phash:{m.hash_b}" != key)
    for question in (
        f"Which accounts shared the image {key}?",
        f"Which accounts shared {key}?",
        f"Who shared the image {key.removeprefix('phash:')}?",
        f"Who shared the image {member_hash}?",
        'Which accounts shared the image "media/c00.jpg"?',
        'Which accounts posted the picture "c00.jpg"?',
    ):
        answer = assistant.ask(question, ALICE)
        assert not answer.refused, question
        named = {a for a in squad if a in answer.answer}
        assert named == squad, (question, answer.answer)
    answer = assistant.ask('Which accounts shared the image "media/nothing.jpg"?', ALICE)
    assert "No post in dataset posts has the image" in answer.answer
