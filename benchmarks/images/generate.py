"""The image benchmark's test set, drawn with Pillow (nothing downloaded).

Base images are random compositions (gradient background, rectangles, ellipses, polygons,
lines) of about 512 px. A *variant* of a base is what a squad member posts: resized
50-150 %, cropped by up to 10 % of each dimension, a small text overlay, re-encoded as JPEG
at quality 60-95. Organic images are further bases, each posted once.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont

SIZE = 512


def draw_base(seed: int, size: int = SIZE) -> Image.Image:
    """One distinct picture, fully determined by `seed`."""
    rng = random.Random(seed)
    w = size
    h = int(size * rng.uniform(0.6, 1.0)) if rng.random() < 0.5 else size
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    c0 = [rng.randrange(256) for _ in range(3)]
    c1 = [rng.randrange(256) for _ in range(3)]
    vertical = rng.random() < 0.5
    steps = h if vertical else w
    for i in range(steps):
        f = i / max(steps - 1, 1)
        col = tuple(int(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
        if vertical:
            draw.line([(0, i), (w, i)], fill=col)
        else:
            draw.line([(i, 0), (i, h)], fill=col)
    for _ in range(rng.randint(6, 18)):
        kind = rng.random()
        col = tuple(rng.randrange(256) for _ in range(3))
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1 = min(w, x0 + rng.randint(w // 12, w // 2))
        y1 = min(h, y0 + rng.randint(h // 12, h // 2))
        if kind < 0.35:
            draw.rectangle([x0, y0, x1, y1], fill=col)
        elif kind < 0.7:
            draw.ellipse([x0, y0, x1, y1], fill=col)
        elif kind < 0.9:
            pts = [(rng.randrange(w), rng.randrange(h)) for _ in range(rng.randint(3, 6))]
            draw.polygon(pts, fill=col)
        else:
            draw.line([(x0, y0), (x1, y1)], fill=col, width=rng.randint(3, 20))
    return img


def make_variant(base: Image.Image, seed: int) -> bytes:
    """A re-post of `base`: resized, cropped, captioned and re-encoded, as JPEG bytes."""
    rng = random.Random(seed)
    img = base
    w, h = img.size
    # Crop: up to 10 % of each dimension, split at random between the two sides.
    cw, ch = int(w * rng.uniform(0, 0.10)), int(h * rng.uniform(0, 0.10))
    left, top = rng.randint(0, cw), rng.randint(0, ch)
    img = img.crop((left, top, w - (cw - left), h - (ch - top)))
    scale = rng.uniform(0.5, 1.5)
    img = img.resize((max(8, int(img.width * scale)), max(8, int(img.height * scale))))
    if rng.random() < 0.5:
        draw = ImageDraw.Draw(img)
        font = ImageFont.load_default()
        text = rng.choice(["share!", "RT", "#vote", "truth", "wake up", "@news"])
        draw.text(
            (rng.randint(0, img.width // 2), rng.randint(0, img.height // 2)),
            text,
            fill=tuple(rng.randrange(256) for _ in range(3)),
            font=font,
        )
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=rng.randint(60, 95))
    return out.getvalue()


def jpeg(img: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()
