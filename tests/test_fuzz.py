"""Fuzzing the edges where outside text comes in: reporting loaders, the chunker, post
datasets with arbitrary text and timestamps, and the exports of what they produce.

The property everywhere: a result or a ChorusError (one line), never another exception,
never a hang (Hypothesis' deadline), and nothing half-written (no temporary files, the
datasets stored before still there). Example counts are fixed (derandomized) so the suite
stays quick and repeatable; they are in the settings of each test.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import ChorusError
from corpus.reporting.load import load_bytes, load_text
from patterns.export_tables import cell_sql
from patterns.service import PatternService
from retrieval.chunking import split_text
from retrieval.tokens import install_offline_encodings
from tests.patterns.conftest import make_service


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=20_000,  # ms per example: a hang fails the test
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Text that is hard on parsers: control and bidi characters, quotes, separators, repeats.
ODD = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1b", "\r", "\n", "\u202e", '"', ",", "=", "a", " ", "\t"]),
    ),
    max_size=300,
)
STAMPS = st.one_of(
    st.sampled_from(
        ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "-62135596800", "1e308", "nan", ""]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.datetimes().map(lambda d: d.isoformat()),
    ODD,
)


def _one_line(exc: ChorusError) -> None:
    assert "\n" not in str(exc) and len(str(exc)) < 2_000


@pytest.fixture(autouse=True)
def _encodings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    install_offline_encodings(tmp_path / "tiktoken")


@fuzz(60)
@given(data=st.one_of(st.binary(max_size=400), ODD.map(lambda t: t.encode("utf-8", "replace"))))
@pytest.mark.parametrize("name", ["n.txt", "n.md", "n.html", "n.pdf"])
def test_reporting_loaders_take_any_bytes(name: str, data: bytes) -> None:
    try:
        doc = load_bytes(data, filename=name, max_bytes=100_000)
    except ChorusError as exc:
        _one_line(exc)
        return
    assert doc.text.strip() and doc.title


@fuzz(150)
@given(text=ODD, title=ODD)
def test_pasted_text_loads_or_is_refused_in_one_line(text: str, title: str) -> None:
    try:
        doc = load_text(text, title=title)
    except ChorusError as exc:
        _one_line(exc)
        return
    assert "\n" not in doc.title


@fuzz(80)
@given(
    parts=st.lists(
        st.one_of(ODD, st.sampled_from(["Same line.\n", "a" * 50, "\n\n"])), max_size=30
    ),
    repeat=st.integers(min_value=1, max_value=20),
    size=st.integers(min_value=16, max_value=80),
)
def test_the_chunker_takes_any_text(parts: list[str], repeat: int, size: int) -> None:
    text = "".join(parts) * repeat
    chunks = split_text(text, chunk_tokens=size, overlap=size // 4, encoding="cl100k_base")
    for c in chunks:
        assert text[c.start : c.end] == c.text


@fuzz(300)
@given(value=ODD)
def test_export_cells_are_never_formulas_or_control_characters(value: str) -> None:
    expr = cell_sql("?")
    con = duckdb.connect()
    try:
        got = con.execute(f"SELECT {expr}", [value] * expr.count("?")).fetchone()
    finally:
        con.close()
    assert got is not None
    cell = str(got[0])
    assert not cell.startswith(("=", "+", "-", "@"))
    assert not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in cell)


def _dataset(rows: list[tuple[str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["post_id", "account_id", "created_at", "text", "urls"])
    for i in range(3):  # a good core: three accounts posting the same link together
        writer.writerow(
            [f"g{i}", f"a{i}", f"2024-01-01T00:00:0{i}Z", "Same text", "https://x.example/a"]
        )
        writer.writerow(
            [f"h{i}", f"a{i}", f"2024-01-01T00:01:0{i}Z", "Other text", "https://x.example/b"]
        )
    for i, (account, stamp, text) in enumerate(rows):
        writer.writerow([f"f{i}", account, stamp, text, "https://x.example/a"])
    return out.getvalue().encode("utf-8", "replace")


@fuzz(20)
@given(rows=st.lists(st.tuples(ODD, STAMPS, ODD), max_size=6))
def test_datasets_with_any_text_and_timestamps_analyse_and_export(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str]]
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    svc: PatternService = make_service(root / "d")
    keep = root / "keep.csv"
    keep.write_bytes(_dataset([]))
    svc.analyze_file(keep, scope="s", name="keep", params=svc.params(min_accounts=2))
    path = root / "posts.csv"
    path.write_bytes(_dataset(rows))
    try:
        result = svc.analyze_file(path, scope="s", params=svc.params(min_accounts=2))
    except ChorusError as exc:
        _one_line(exc)
    else:
        assert result.posts >= 6
        svc.latest_analyses("s")  # what was stored reads back
        for c in result.clusters:
            svc.cluster(c.id, scope="s").summary_text()
        out = root / "out"
        try:
            written = svc.export(result, scope="s", out_dir=out)
        except ChorusError as exc:
            _one_line(exc)
            assert not out.exists() or not list(out.iterdir())
        else:
            assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    names = {d.name for d in svc.datasets("s")}
    assert "keep" in names
    leftovers = [p for p in (root / "d").rglob("*") if p.is_file() and ".tmp" in p.name]
    assert leftovers == []
