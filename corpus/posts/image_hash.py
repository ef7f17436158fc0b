"""One image's bytes in, its perceptual hashes (and a small thumbnail) out, within limits.

The hash is pHash as imagehash computes it (64 bits: the 8x8 lowest frequencies of the DCT
of a 32x32 grey thumbnail, each above or below their median), which survives re-encoding,
resizing and small overlays: two pictures are near-identical when few of the 64 bits
differ. pHash does not survive crops (10 % off one side moves 14 of 64 bits, as many as
separate unrelated pictures), so each image is also hashed on nine windows of 90 % of its
width and height (anchored left/centre/right x top/middle/bottom): two crops of one
picture have a pair of windows that show nearly the same part of it. The DCT runs as one
matrix product over all ten windows (`phashes`); the full-frame hash equals imagehash's
`phash` (a test checks it).

Decoding is bounded before any pixel is read: the header's size is checked against a
pixel cap (a decompression bomb says it is 50,000 x 50,000 in a few hundred bytes), and
JPEGs are decoded in draft mode (the DCT scaled down by up to 8x while decoding, so a 4000 px
photo costs what a 500 px one does). Anything that cannot be hashed raises `ImageSkipped`
with a short reason that the caller counts.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, UnidentifiedImageError

# Formats social-media images come in; others (EPS, PSD, ...) are refused unread.
FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"})  # JPEG opens MPO too
MIN_SIDE = 8  # tracking pixels and spacers are not pictures
DRAFT_SIDE = 128  # JPEG draft target: enough for the 32x32 hash and a thumbnail
THUMB_SIDE = 96
THUMB_QUALITY = 70
HASH_SIDE = 32  # pHash: DCT of a 32x32 grey image, keep the 8x8 lowest frequencies
LOW = 8
WINDOW_SCALE = 0.9
ANCHORS = (0.0, 0.5, 1.0)
MIN_CONTRAST = 2.0  # std of the 32x32 grey pixels: below it the picture is one flat colour

_n = np.arange(HASH_SIDE)
# scipy.fftpack.dct type II, unnormalised (what imagehash calls): 2 sum x_n cos(pi k (2n+1) / 2N)
_DCT = 2.0 * np.cos(np.pi * _n[:, None] * (2 * _n[None, :] + 1) / (2 * HASH_SIDE))

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-hashed


class ImageSkipped(Exception):
    """An image that was not hashed; `reason` is short and counted by the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HashedImage:
    phash: int  # 64-bit unsigned, of the whole frame
    windows: tuple[int, ...]  # the whole frame's hash first, then the nine 90 % windows
    width: int
    height: int
    thumb: bytes  # JPEG, at most THUMB_SIDE px on its longer side


def _boxes(w: int, h: int) -> list[tuple[float, float, float, float]]:
    cw, ch = w * WINDOW_SCALE, h * WINDOW_SCALE
    out = [(0.0, 0.0, float(w), float(h))]
    for ay in ANCHORS:
        for ax in ANCHORS:
            x0, y0 = (w - cw) * ax, (h - ch) * ay
            out.append((x0, y0, x0 + cw, y0 + ch))
    return out


def phashes(gray: Image.Image, *, windows: bool = True) -> npt.NDArray[np.uint64]:
    """pHash of the whole grey image (as imagehash computes it), then of its nine 90 %
    windows (cut from a copy reduced to twice the hash side first: nine resizes of a
    64 px image cost what one of a 200 px image does)."""
    full = gray.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    frames = [np.asarray(full, dtype=np.float64)]
    if windows:
        w, h = gray.size
        side = 2 * HASH_SIDE
        small = (
            gray
            if max(w, h) <= side
            else gray.resize(
                (max(1, round(w * side / max(w, h))), max(1, round(h * side / max(w, h)))),
                Image.Resampling.BILINEAR,
            )
        )
        for box in _boxes(*small.size)[1:]:
            frames.append(
                np.asarray(
                    small.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR, box=box),
                    dtype=np.float64,
                )
            )
    return _bits(np.stack(frames))


def _bits(px: npt.NDArray[np.float64]) -> npt.NDArray[np.uint64]:
    dct = _DCT @ px @ _DCT.T  # (k, 32, 32): the 2-D DCT of every window at once
    low = dct[:, :LOW, :LOW].reshape(px.shape[0], LOW * LOW)
    bits = low > np.median(low, axis=1, keepdims=True)
    # Row-major bits, the first the most significant (imagehash's hex spelling).
    return np.packbits(bits, axis=1).view(">u8").ravel().astype(np.uint64)


def phash_hex(value: int) -> str:
    """The hash as 16 hex digits (imagehash's own spelling)."""
    return f"{value:016x}"


def sniff_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<body" in head


def hash_image(data: bytes, *, max_pixels: int) -> HashedImage:
    """pHash and thumbnail of one image; ImageSkipped (with the reason) when it cannot be."""
    if not data:
        raise ImageSkipped("empty file")
    if sniff_html(data):
        raise ImageSkipped("HTML, not an image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(FORMATS)) as im:
                return _hash_open(im, max_pixels)
    except ImageSkipped:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageSkipped("too many pixels (decompression bomb)") from None
    except UnidentifiedImageError:
        raise ImageSkipped("not a supported image") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError):
        # Pillow's decoders report truncated and corrupt data through all of these.
        raise ImageSkipped("truncated or corrupt") from None


def _hash_open(im: Image.Image, max_pixels: int) -> HashedImage:
    w, h = im.size
    if w * h > max_pixels:
        raise ImageSkipped("too many pixels (decompression bomb)")
    if min(w, h) < MIN_SIDE:
        raise ImageSkipped(f"too small (under {MIN_SIDE} px)")
    if getattr(im, "n_frames", 1) > 1 and im.format != "MPO":
        raise ImageSkipped("animated")
    if im.format in ("JPEG", "MPO") and im.mode in ("RGB", "L", "CMYK", "YCbCr"):
        im.draft("RGB" if im.mode != "L" else "L", (DRAFT_SIDE, DRAFT_SIDE))
    im.load()
    rgb = _flatten(im)
    gray = rgb.convert("L")
    small = np.asarray(gray.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR))
    if float(small.std()) < MIN_CONTRAST:
        raise ImageSkipped("a flat colour, no picture to match")
    values = phashes(gray)
    thumb = rgb.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=THUMB_QUALITY)
    return HashedImage(
        phash=int(values[0]),
        windows=tuple(int(v) for v in values),
        width=w,
        height=h,
        thumb=out.getvalue(),
    )


def _flatten(im: Image.Image) -> Image.Image:
    """RGB on white: palette, CMYK, grey and transparent images hash as they look."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if im.mode == "RGB":
        return im
    return im.convert("RGB")
