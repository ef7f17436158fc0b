"""The two small shared helpers: a process-alive check and the byte-order-mark table."""

from __future__ import annotations

import codecs
import subprocess
import sys

from common.processes import process_alive
from corpus.reporting.byte_order import bom_codec


def test_a_finished_process_is_not_alive_and_this_one_is() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert not process_alive(int(child.stdout))  # it has exited (and been reaped)
    assert process_alive(__import__("os").getpid())
    assert not process_alive(0) and not process_alive(-1)


def test_byte_order_marks_name_their_codec() -> None:
    assert bom_codec(codecs.BOM_UTF8 + b"x") == "utf-8-sig"
    assert bom_codec(codecs.BOM_UTF32_LE + b"\0\0\0\0") == "utf-32"  # not taken for UTF-16
    assert bom_codec(codecs.BOM_UTF16_BE + b"\0x") == "utf-16"
    assert bom_codec(b"plain") is None
    text = "caf\u00e9"
    for codec in ("utf-8-sig", "utf-16", "utf-32"):
        data = text.encode(codec)
        assert data.decode(bom_codec(data) or "") == text
