"""Byte-order marks: which codec a text's first bytes announce (one table for every loader)."""

from __future__ import annotations

import codecs
from typing import Final

# UTF-32 LE before UTF-16 LE: its mark starts with the same two bytes.
BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_codec(data: bytes) -> str | None:
    """The codec the data's byte-order mark names (decoding with it drops the mark)."""
    return next((codec for bom, codec in BOMS if data.startswith(bom)), None)
