"""Image hashing and image sources: our pHash equals imagehash's, hostile images are
counted and skipped with their reason, paths never leave the dataset folder or the zip, and
image URLs go through the SSRF-safe fetcher with a cache that a rerun reads."""

from __future__ import annotations

import io
import socket
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import imagehash
import pytest
from PIL import Image, ImageDraw

from corpus.posts.image_cache import open_cache
from corpus.posts.image_hash import ImageSkipped, hash_image, phashes
from corpus.posts.image_sources import (
    NOT_FETCHED,
    ImageLimits,
    ImageRef,
    ImageReport,
    hash_post_images,
)
from corpus.posts.media import MediaFolder, MediaZip, zip_member_safe
from corpus.web.policy import FetchPolicy
from tests.corpus.corpus_support import LocalServer, serve

MAX_PIXELS = 4_000_000
LOCAL = FetchPolicy(allow_private=True, timeout_s=5, max_bytes=1_000_000)


def picture(seed: int, size: tuple[int, int] = (120, 96)) -> Image.Image:
    """A small picture with structure (flat images are refused on purpose)."""
    img = Image.new("RGB", size, (seed * 37 % 256, 90, 160))
    draw = ImageDraw.Draw(img)
    w, h = size
    for k in range(6):
        x, y = (seed * 13 + k * 29) % w, (seed * 7 + k * 17) % h
        draw.ellipse([x - 20, y - 15, x + 20, y + 15], fill=((k * 50) % 256, seed % 256, 40))
        draw.rectangle(
            [w - x // 2 - 10, y // 2, w - x // 2 + 10, y // 2 + 25], fill=(250, k * 40, 0)
        )
    return img


def encode(img: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **kw)
    return out.getvalue()


def bits(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def test_full_frame_hash_equals_imagehash_phash() -> None:
    for seed in range(6):
        grey = picture(seed, (90 + 11 * seed, 70 + 5 * seed)).convert("L")
        assert int(phashes(grey, windows=False)[0]) == int(str(imagehash.phash(grey)), 16)


def test_hash_survives_reencoding_and_resizing() -> None:
    img = picture(3, (160, 120))
    a = hash_image(encode(img, quality=95), max_pixels=MAX_PIXELS)
    b = hash_image(encode(img.resize((240, 180)), quality=60), max_pixels=MAX_PIXELS)
    c = hash_image(encode(picture(40, (160, 120))), max_pixels=MAX_PIXELS)
    assert bits(a.phash, b.phash) <= 6
    assert bits(a.phash, c.phash) > 12
    assert len(a.windows) == 10 and a.windows[0] == a.phash
    assert a.thumb.startswith(b"\xff\xd8")  # a JPEG thumbnail for contact sheets


def test_a_crop_is_matched_through_the_windows() -> None:
    img = picture(5, (200, 160))
    whole = hash_image(encode(img), max_pixels=MAX_PIXELS)
    cropped = hash_image(encode(img.crop((20, 0, 200, 160))), max_pixels=MAX_PIXELS)
    best = min(bits(x, y) for x in whole.windows for y in cropped.windows)
    assert best < bits(whole.phash, cropped.phash)
    assert best <= 6


def _png_with_size(width: int, height: int) -> bytes:
    """A valid 16x16 PNG whose header claims another size (a decompression bomb's shape)."""
    raw = bytearray(encode(picture(1, (16, 16)), "PNG"))
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(raw[ihdr : ihdr + 17]))
    raw[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(raw)


def _animated_gif() -> bytes:
    frames = [picture(s, (40, 40)).convert("P") for s in range(3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encode(picture(2))[:400], "truncated or corrupt"),
        (_png_with_size(60_000, 60_000), "too many pixels (decompression bomb)"),
        (_animated_gif(), "animated"),
        (encode(Image.new("RGB", (1, 1), "red"), "PNG"), "too small (under 8 px)"),
        (b"<!DOCTYPE html><html><body>not found</body></html>", "HTML, not an image"),
        (
            encode(Image.new("RGB", (64, 64), (30, 30, 30)), "PNG"),
            "a flat colour, no picture to match",
        ),
        (b"%PDF-1.7 not a picture", "not a supported image"),
        (b"", "empty file"),
    ],
    ids=["truncated", "bomb", "animated", "one-pixel", "html", "flat", "pdf", "empty"],
)
def test_hostile_images_are_skipped_with_their_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageSkipped) as caught:
        hash_image(data, max_pixels=MAX_PIXELS)
    assert caught.value.reason == reason


def test_cmyk_and_palette_images_hash_as_they_look() -> None:
    img = picture(7, (128, 96))
    rgb = hash_image(encode(img, quality=95), max_pixels=MAX_PIXELS).phash
    cmyk = hash_image(encode(img.convert("CMYK"), quality=95), max_pixels=MAX_PIXELS).phash
    palette = hash_image(encode(img.convert("P"), "PNG"), max_pixels=MAX_PIXELS).phash
    assert bits(rgb, cmyk) <= 4
    assert bits(rgb, palette) <= 6


def test_paths_never_leave_the_dataset_folder(tmp_path: Path) -> None:
    base = tmp_path / "data"
    (base / "media").mkdir(parents=True)
    (base / "media" / "ok.jpg").write_bytes(b"x")
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    (base / "media" / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    folder = MediaFolder(base)
    assert folder.read("media/ok.jpg", 10) == b"x"
    for bad in ("../secret.jpg", "/etc/passwd", "media/../../secret.jpg", "media/link.jpg"):
        with pytest.raises(ImageSkipped, match="outside the dataset folder"):
            folder.read(bad, 100)
    with pytest.raises(ImageSkipped, match="byte cap"):
        (base / "media" / "big.jpg").write_bytes(b"y" * 11)
        folder.read("media/big.jpg", 10)


def test_zip_members_outside_the_root_are_never_read(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("export/media/p1.jpg", encode(picture(1)))
        z.writestr("../evil.jpg", encode(picture(2)))
        z.writestr("/abs.jpg", b"x")
    assert not zip_member_safe("../evil.jpg") and not zip_member_safe("C:/x.jpg")
    with zipfile.ZipFile(path) as z:
        media = MediaZip(z, "export")
        assert media.read("media/p1.jpg", 1_000_000)[:2] == b"\xff\xd8"
        with pytest.raises(ImageSkipped, match="outside"):
            media.read("../../evil.jpg", 1_000_000)
        with pytest.raises(ImageSkipped, match="not found in the zip"):
            media.read("media/p2.jpg", 1_000_000)


@pytest.fixture
def images_server() -> Iterator[LocalServer]:
    with serve() as local:
        for k in range(3):
            local.reply(f"/img{k}.jpg", encode(picture(10 + k)), content_type="image/jpeg")
        local.reply("/page.jpg", b"<html><body>gone</body></html>")  # text/html
        local.reply("/lying.jpg", b"<!doctype html><p>x</p>", content_type="image/jpeg")
        local.reply("/big.jpg", b"\xff\xd8" + b"0" * 2_000_000, content_type="image/jpeg")
        yield local


def test_urls_are_fetched_once_and_failures_counted(
    tmp_path: Path, images_server: LocalServer
) -> None:
    urls = [images_server.url(p) for p in ("/img0.jpg", "/img1.jpg", "/img2.jpg")]
    bad = [images_server.url(p) for p in ("/page.jpg", "/lying.jpg", "/big.jpg", "/missing.jpg")]
    refs = [ImageRef(k, "url", u) for k, u in enumerate(urls + bad)] + [ImageRef(9, "url", urls[0])]
    cache_path = tmp_path / "cache.sqlite"
    with open_cache(cache_path) as cache:
        rows, report = hash_post_images(
            refs, media=None, cache=cache, limits=ImageLimits(), policy=LOCAL
        )
    assert report.hashed == 3 and report.fetched == 4  # bodies downloaded; img0 only once
    assert {r.pid for r in rows} == {0, 1, 2, 9}
    assert [r.path for r in images_server.requests].count("/img0.jpg") == 1
    assert report.skipped == {
        "not an image (the server sent another content type)": 1,
        "HTML, not an image": 1,
        "over the byte cap per image (images.max_image_bytes)": 1,
        "the server answered HTTP 404": 1,
    }
    seen = len(images_server.requests)
    with open_cache(cache_path) as cache:
        again, report2 = hash_post_images(
            refs[:3], media=None, cache=cache, limits=ImageLimits(), policy=LOCAL
        )
    assert len(images_server.requests) == seen  # a rerun fetches nothing
    assert report2.cached == 3 and {r.phash for r in again} == {r.phash for r in rows}


def test_offline_and_private_addresses(tmp_path: Path, images_server: LocalServer) -> None:
    refs = [ImageRef(1, "url", images_server.url("/img0.jpg"))]
    with open_cache(tmp_path / "c.sqlite") as cache:
        _, offline = hash_post_images(
            refs, media=None, cache=cache, limits=ImageLimits(fetch=False), policy=LOCAL
        )
        _, refused = hash_post_images(
            refs, media=None, cache=cache, limits=ImageLimits(), policy=FetchPolicy()
        )
    assert offline.skipped == {NOT_FETCHED: 1}
    assert refused.skipped == {"refused address (private, loopback or reserved)": 1}
    assert not images_server.requests  # refused before any connection


def test_a_closed_port_is_a_failed_connection_not_a_refused_address(tmp_path: Path) -> None:
    # An allowed loopback URL with nothing listening was counted as "refused address", so
    # a user thought the allow-list setting was ignored.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    refs = [ImageRef(1, "url", f"http://127.0.0.1:{port}/x.jpg")]
    with open_cache(tmp_path / "c.sqlite") as cache:
        _, report = hash_post_images(
            refs, media=None, cache=cache, limits=ImageLimits(), policy=LOCAL
        )
    (reason,) = report.skipped
    assert reason.startswith("connection failed"), reason


def test_total_byte_cap_and_precomputed_hashes(tmp_path: Path) -> None:
    for k in range(3):
        (tmp_path / f"{k}.jpg").write_bytes(encode(picture(20 + k)))
    size = (tmp_path / "0.jpg").stat().st_size
    refs = [ImageRef(k, "file", f"{k}.jpg") for k in range(3)]
    refs += [ImageRef(5, "phash", "00ff00ff00ff00ff"), ImageRef(6, "phash", "xyz")]
    with open_cache(tmp_path / "c.sqlite") as cache:
        rows, report = hash_post_images(
            refs,
            media=MediaFolder(tmp_path),
            cache=cache,
            limits=ImageLimits(max_total_bytes=int(size * 1.5), concurrency=1),
            policy=LOCAL,
        )
    assert report.skipped["over the total image byte cap (images.max_total_bytes)"] == 2
    assert report.skipped["not a 16-hex-digit perceptual hash"] == 1
    assert {(r.pid, r.sha is None) for r in rows} == {(0, False), (5, True)}
    assert any("over the total image byte cap" in n for n in report.notes())


def test_skip_notes_name_several_images_and_count_the_rest() -> None:
    # One example per reason hid which other files were missing.
    report = ImageReport(refs=9, distinct=9)
    for k in range(7):
        report.skip("file not found", f"media/{k}.jpg")
    report.skip("truncated", "media/t.jpg")
    missing, truncated = report.notes()[1:]
    assert missing == (
        "7 images skipped: file not found (e.g. media/0.jpg, media/1.jpg, media/2.jpg, "
        "media/3.jpg, media/4.jpg and 2 more)"
    )
    assert truncated == "1 image skipped: truncated (media/t.jpg)"
