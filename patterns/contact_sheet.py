"""A contact sheet: thumbnails of a cluster's most shared images in a small grid, each
captioned with how many member accounts posted it. Drawn with Pillow from the thumbnails
kept in the image cache at hashing time (the originals may be gone: a Discord upload, a
URL that has changed)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from patterns.picture_files import write_picture

TILE = 96
CAPTION = 16
PAD = 6
COLUMNS = 4
MAX_IMAGES = 12


def draw_contact_sheet(tiles: list[tuple[bytes, str]], path: Path, *, title: str) -> Path | None:
    """Write a PNG of (thumbnail JPEG, caption) tiles at `path`; None when no tile decodes."""
    images: list[tuple[Image.Image, str]] = []
    for data, caption in tiles[:MAX_IMAGES]:
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as opened:
                opened.load()
                images.append((opened.convert("RGB"), caption))
        except (UnidentifiedImageError, OSError):
            continue
    if not images:
        return None
    cols = min(COLUMNS, len(images))
    rows = -(-len(images) // cols)
    width = cols * (TILE + PAD) + PAD
    height = CAPTION + PAD + rows * (TILE + CAPTION + PAD) + PAD
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    draw.text((PAD, PAD // 2), title, fill="black", font=font)
    for n, (im, caption) in enumerate(images):
        r, c = divmod(n, cols)
        x = PAD + c * (TILE + PAD)
        y = CAPTION + PAD + r * (TILE + CAPTION + PAD)
        im.thumbnail((TILE, TILE))
        sheet.paste(im, (x + (TILE - im.width) // 2, y + (TILE - im.height) // 2))
        draw.text((x, y + TILE + 2), caption, fill="black", font=font)
    return write_picture(path, lambda tmp: sheet.save(tmp, format="PNG"))
