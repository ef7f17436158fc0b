from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from retrieval import tokens


def test_encodings_are_installed_offline_and_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    chosen = tokens.install_offline_encodings(tmp_path / "cache")
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(chosen)
    for name, expected in tokens.ENCODINGS.items():
        path = tokens.cache_path(chosen, name)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected
    tokens.get_encoding.cache_clear()
    # The conftest blocks the network: this only works because the cache is filled.
    enc = tokens.get_encoding("cl100k_base")
    assert enc.decode(enc.encode("seventy accounts")) == "seventy accounts"


def test_user_chosen_cache_dir_is_respected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "mine"))
    assert tokens.install_offline_encodings(tmp_path / "other") == tmp_path / "mine"
    assert tokens.cache_path(tmp_path / "mine", "o200k_base").is_file()


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(tokens.EncodingError, match="unknown tiktoken encoding 'p50k'"):
        tokens.get_encoding("p50k")


def test_get_encoding_alone_never_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tiktoken.registry

    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setattr("retrieval.tokens.tempfile.gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # tiktoken's own memory cache
    tokens.get_encoding.cache_clear()
    try:
        # The conftest blocks the network: without the install inside, tiktoken would fetch.
        enc = tokens.get_encoding("cl100k_base")
        assert enc.decode(enc.encode("seventy accounts")) == "seventy accounts"
        assert tokens.cache_path(tmp_path / "chorus-tiktoken", "cl100k_base").is_file()
    finally:
        tokens.get_encoding.cache_clear()
