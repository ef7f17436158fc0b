"""Near-identical images: the matcher finds exactly the pairs brute force finds, groups
join through shared windows, and an image-only campaign (files beside the dataset, or in a
zip) is found as a cluster whose details show both hashes and the distance."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from PIL import Image, ImageDraw

from patterns.nearimage import group_images, near_pairs, plan
from patterns.service import PatternService
from tests.corpus.post_support import read_posts
from tests.patterns.conftest import LIMITS, T0, make_service


def _clustered_hashes(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for base in rng.integers(0, 2**63, size=120, dtype=np.uint64).tolist():
        for _ in range(4):
            x = base
            for b in rng.choice(64, int(rng.integers(0, 12)), replace=False).tolist():
                x ^= 1 << b
            out.append(x)
    return np.unique(np.asarray(out, dtype=np.uint64))


@pytest.mark.parametrize("distance", [0, 2, 5, 6, 8, 11])
def test_near_pairs_are_exactly_the_brute_force_pairs(distance: int) -> None:
    h = _clustered_hashes(distance)
    i, j, d = near_pairs(h, distance)
    dist = np.bitwise_count(h[:, None] ^ h[None, :])
    a, b = np.triu_indices(h.size, 1)
    want = {(int(x), int(y)) for x, y in zip(a, b, strict=True) if dist[x, y] <= distance}
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    assert set(got) == want and len(got) == len(want)  # each pair once
    assert all(dist[x, y] == k for x, y, k in zip(i, j, d, strict=True))


def test_band_plan_covers_the_distance() -> None:
    for distance in range(13):
        bands = plan(distance)
        assert sum(w for _, w, _ in bands) == 64
        assert sum(r + 1 for _, _, r in bands) > distance  # the pigeonhole bound


def test_images_join_through_their_windows_not_their_frames() -> None:
    # Image 0 and 1 differ by 20 bits as frames but share a window 2 bits apart; image 2
    # is unrelated. A window value shared by images 2 and 3 joins them exactly.
    full = np.asarray([10, 1 << 40, 77 << 20, 99 << 30], dtype=np.uint64)
    owner = np.asarray([0, 0, 1, 1, 2, 2, 3], dtype=np.int64)
    window = np.asarray(
        [10, 0xABCDEF, int(full[1]), 0xABCDEF ^ 0b11, int(full[2]), 5 << 50, 5 << 50],
        dtype=np.uint64,
    )
    grp, _ = group_images(full, owner, window, 2)
    assert grp[0] == grp[1] >= 0
    assert grp[2] == grp[3] >= 0 and grp[2] != grp[0]
    grp0, _ = group_images(full, owner, window, 0)
    assert grp0[0] == -1 and grp0[2] == grp0[3] >= 0


def _picture(seed: int) -> Image.Image:
    img = Image.new("RGB", (160, 120), (seed * 53 % 256, 120, 200 - seed % 100))
    draw = ImageDraw.Draw(img)
    for k in range(5):
        x, y = (seed * 31 + k * 37) % 160, (seed * 17 + k * 23) % 120
        draw.ellipse([x - 25, y - 18, x + 25, y + 18], fill=(k * 60 % 256, seed * 7 % 256, 30))
        draw.rectangle([x // 2, y // 3, x // 2 + 30, y // 3 + 12], fill=(255, k * 50 % 256, 90))
    return img


def _variant(img: Image.Image, k: int) -> bytes:
    w, h = img.size
    cut = (k % 3) * 5
    out = io.BytesIO()
    img.crop((cut, 0, w - (k % 2) * 6, h - cut)).resize((150 + 10 * k, 110 + 8 * k)).save(
        out, format="JPEG", quality=60 + 8 * k
    )
    return out.getvalue()


def _campaign(root: Path) -> list[dict[str, object]]:
    """Four accounts post crops/re-encodings of the same three pictures within seconds;
    three organic accounts post their own pictures at the same times. Texts all differ."""
    (root / "media").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    for b in range(3):
        base = _picture(100 + b)
        for a in range(4):
            name = f"media/c{b}{a}.jpg"
            (root / name).write_bytes(_variant(base, a))
            rows.append(
                {
                    "post_id": f"c{b}{a}",
                    "account_id": f"squad{a}",
                    "created_at": T0 + 600 * b + 3 * a,
                    "text": f"campaign {b} {a}",
                    "image_files": name,
                }
            )
        for o in range(3):
            name = f"media/o{b}{o}.jpg"
            (root / name).write_bytes(_variant(_picture(200 + 10 * b + o), o))
            rows.append(
                {
                    "post_id": f"o{b}{o}",
                    "account_id": f"organic{o}",
                    "created_at": T0 + 600 * b + 2 * o,
                    "text": f"own post {b} {o}",
                    "image_files": name,
                }
            )
    rows.append(
        {
            "post_id": "x1",
            "account_id": "organic0",
            "created_at": T0 + 5,
            "text": "escaping",
            "image_files": "../outside.jpg media/missing.jpg",
        }
    )
    return rows


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _squad_cluster(svc: PatternService, result_clusters: list[dict[str, object]]) -> str:
    want = {f"squad{a}" for a in range(4)}
    squads = [c for c in result_clusters if set(cast(list[str], c["accounts"])) == want]
    assert len(squads) == 1, result_clusters
    return str(squads[0]["id"])


def test_image_only_campaign_from_files_beside_the_dataset(tmp_path: Path) -> None:
    data = tmp_path / "export"
    data.mkdir()
    _write_csv(data / "posts.csv", _campaign(data))
    (tmp_path / "outside.jpg").write_bytes(_variant(_picture(1), 0))
    svc = make_service(tmp_path / "datasets")
    params = svc.params(signals="text,near_text,url,hashtags,image")
    result = svc.analyze_file(data / "posts.csv", scope="t", params=params)
    cid = _squad_cluster(svc, result.to_json()["clusters"])
    assert len(result.clusters) == 1  # the organic accounts share nothing
    notes = " | ".join(result.notes)
    assert "1 image skipped: path outside the dataset folder (../outside.jpg)" in notes
    assert "1 image skipped: file not found (media/missing.jpg)" in notes
    detail = svc.cluster(cid, scope="t")
    assert detail.summary.signals == {"image": 3}
    matches = detail.to_json()["image_matches"]
    assert matches and all(
        len(m["hash_a"]) == 16 and len(m["hash_b"]) == 16 and 0 <= m["distance"] <= 6
        for m in matches
    )
    assert {m["post_a"][:2] for m in matches} <= {"c0", "c1", "c2"}
    sheet = svc.contact_sheet(cid, scope="t", path=tmp_path / "sheet.png")
    assert sheet is not None
    with Image.open(sheet) as im:
        assert im.format == "PNG" and im.width >= 3 * 96
    # Exact matching only (distance 0) loses the campaign: the crops are what it needed.
    strict = svc.analyze_dataset(
        "posts", scope="t", params=svc.params(signals="image", image_distance=0)
    )
    assert not strict.clusters


def test_a_zip_of_posts_and_media_works_the_same(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    rows = _campaign(work)
    _write_csv(work / "posts.csv", rows)
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(work / "posts.csv", "export/posts.csv")
        for f in sorted((work / "media").iterdir()):
            z.write(f, f"export/media/{f.name}")
        z.writestr("../outside.jpg", _variant(_picture(1), 0))
    svc = make_service(tmp_path / "datasets")
    result = svc.analyze_file(archive, scope="t", params=svc.params(signals="image"))
    assert result.dataset == "upload"
    _squad_cluster(svc, result.to_json()["clusters"])
    assert any("path outside" in n for n in result.notes)


def test_a_zip_without_one_dataset_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.csv", "account_id,created_at,text\nx,1,y\n")
        z.writestr("b.csv", "account_id,created_at,text\nx,1,y\n")
    svc = make_service(tmp_path / "datasets")
    with pytest.raises(Exception, match="several dataset files"):
        svc.analyze_file(archive, scope="t")
    assert not svc.datasets("t")


def test_twitter_exports_map_media_to_image_urls(tmp_path: Path) -> None:
    v2 = {
        "data": [
            {
                "id": "1",
                "author_id": "u1",
                "text": "a",
                "created_at": "2024-01-01T00:00:00Z",
                "attachments": {"media_keys": ["3_1", "7_2"]},
            }
        ],
        "includes": {
            "media": [
                {"media_key": "3_1", "type": "photo", "url": "https://pbs.example/a.jpg"},
                {
                    "media_key": "7_2",
                    "type": "video",
                    "preview_image_url": "https://pbs.example/v.jpg",
                },
            ]
        },
    }
    v1 = {
        "id_str": "2",
        "created_at": "Mon Jan 01 00:00:00 +0000 2024",
        "text": "b",
        "user": {"id_str": "u2"},
        "extended_entities": {
            "media": [{"id_str": "9", "media_url_https": "https://pbs.example/b.jpg"}]
        },
    }
    (tmp_path / "v2.json").write_text(json.dumps(v2))
    (tmp_path / "v1.jsonl").write_text(json.dumps(v1) + "\n")
    (p2,), _ = read_posts(tmp_path / "v2.json", limits=LIMITS)
    (p1,), _ = read_posts(tmp_path / "v1.jsonl", limits=LIMITS)
    assert p2.image_urls == ("https://pbs.example/a.jpg", "https://pbs.example/v.jpg")
    assert p2.image_hashes == ("3_1", "7_2")  # media keys stay exact ids
    assert p1.image_urls == ("https://pbs.example/b.jpg",)


def test_precomputed_hashes_match_near_copies(tmp_path: Path) -> None:
    rows = []
    base = [0x0F0F0F0F0F0F0F0F, 0x123456789ABCDEF0]
    for a in range(4):
        for b, h in enumerate(base):
            rows.append(
                {
                    "post_id": f"p{a}{b}",
                    "account_id": f"acc{a}",
                    "created_at": T0 + 1000 * b + a,
                    "image_phashes": f"{h ^ (0b11 << (4 * a)):016x}",  # 2 bits from the base
                }
            )
    _write_csv(tmp_path / "h.csv", rows)
    svc = make_service(tmp_path / "datasets")
    found = svc.analyze_file(tmp_path / "h.csv", scope="t", params=svc.params(signals="image"))
    assert [sorted(c.accounts) for c in found.clusters] == [[f"acc{a}" for a in range(4)]]
    none = svc.analyze_dataset("h", scope="t", params=svc.params(signals="image", image_distance=2))
    assert not none.clusters  # two copies are 4 bits apart: beyond distance 2


def test_image_distance_is_validated(tmp_path: Path) -> None:
    svc = make_service(tmp_path / "datasets")
    with pytest.raises(Exception, match=r"image[-_]distance must be 0 to 12"):
        svc.params(image_distance=40)


def test_a_hashed_picture_is_not_counted_twice_by_its_media_id(tmp_path: Path) -> None:
    # Three accounts post one picture that carries both a media id and a hash: one shared
    # item, so min-shared 2 links nobody; two such pictures link them.
    rows = [
        {
            "post_id": f"p{a}{b}",
            "account_id": f"acc{a}",
            "created_at": T0 + 1000 * b + a,
            "image_hashes": f"key{b}",
            "image_phashes": f"{0x0F0F0F0F0F0F0F0F + b:016x}",
        }
        for a in range(3)
        for b in range(2)
    ]
    _write_csv(tmp_path / "m.csv", rows[::2])  # one picture per account
    svc = make_service(tmp_path / "datasets")
    assert not svc.analyze_file(
        tmp_path / "m.csv", scope="t", params=svc.params(signals="image")
    ).clusters
    _write_csv(tmp_path / "m2.csv", rows)
    found = svc.analyze_file(tmp_path / "m2.csv", scope="t", params=svc.params(signals="image"))
    assert [c.signals for c in found.clusters] == [{"image": 2}]


def test_a_rerun_hashes_again_what_changed_and_reuses_what_did_not(tmp_path: Path) -> None:
    # A new user put a missing picture in place and reran: the stored load, with its
    # "file not found", was reused without a word.
    data = tmp_path / "export"
    data.mkdir()
    _write_csv(data / "posts.csv", _campaign(data))
    svc = make_service(tmp_path / "datasets")
    params = svc.params(signals="image")
    stages: list[str] = []

    def run() -> list[str]:
        stages.clear()
        result = svc.analyze_file(
            data / "posts.csv", scope="t", params=params, progress=lambda s, *_: stages.append(s)
        )
        return list(result.notes)

    assert any("file not found" in n for n in run())
    assert any("file not found" in n for n in run()) and "storing" not in stages  # reused
    (data / "media" / "missing.jpg").write_bytes(_variant(_picture(7), 1))
    notes = run()
    assert "storing" in stages  # loaded again: a named image file appeared
    assert not any("file not found" in n for n in notes)
    run()
    assert "storing" not in stages
    (data / "media" / "c00.jpg").write_bytes(_variant(_picture(8), 0))  # a replaced picture
    run()
    assert "storing" in stages


def test_outputs_say_which_image_distance_the_clusters_used(tmp_path: Path) -> None:
    data = tmp_path / "export"
    data.mkdir()
    _write_csv(data / "posts.csv", _campaign(data))
    svc = make_service(tmp_path / "datasets")
    result = svc.analyze_file(
        data / "posts.csv", scope="t", params=svc.params(signals="image", image_distance=6)
    )
    assert "image-distance 6;" in result.render_text()
    detail = svc.cluster(result.clusters[0].id, scope="t")
    text = detail.render_text()
    assert "whole-picture hash" in text and "past 6:" in text
    for im in detail.image_matches[:10]:  # the shown pairs past the distance: labelled
        assert (im.distance > 6) == (f"{im.distance} bits, joined through the group" in text)
    texts = svc.analyze_dataset("posts", scope="t", params=svc.params(signals="text"))
    assert "image-distance" not in texts.render_text()
