"""Hostile post datasets: random bytes, wrong encodings, truncation, malformed CSV / JSON /
Parquet, huge fields, millions of columns, decompression bombs. Never a crash or a hang:
either clean posts or an InputError that names the file; and a failed load stores nothing."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import InputError, LimitError
from corpus.posts.load import PostLimits, load_posts
from corpus.posts.unpack import copy_bounded
from tests.patterns.conftest import make_service

SMALL = PostLimits(max_rows=1000, max_bytes=2_000_000, max_field_chars=2_000, max_columns=20)
HYPO = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

GOOD_CSV = (
    "post_id,account_id,created_at,text,urls\n"
    + "".join(
        f'{i},acc{i % 7},2024-01-0{1 + i % 9}T00:00:{i % 60:02d}Z,"text, number {i}",https://x.example/{i}\n'
        for i in range(40)
    )
).encode()
GOOD_JSONL = "".join(
    json.dumps(
        {"post_id": i, "account_id": f"a{i % 5}", "created_at": 1700000000 + i, "text": f"t{i}"}
    )
    + "\n"
    for i in range(40)
).encode()


def _parquet_bytes() -> bytes:
    buf = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "account_id": [f"a{i % 5}" for i in range(200)],
                "created_at": list(range(200)),
                "text": [f"x{i}" for i in range(200)],
            }
        ),
        buf,
    )
    return buf.getvalue()


GOOD_PARQUET = _parquet_bytes()


def check_load(tmp_path: Path, content: bytes, name: str = "in.csv") -> None:
    """The property: a clean load with consistent rows, or an InputError naming the file."""
    path = tmp_path / name
    path.write_bytes(content)
    con = duckdb.connect()
    try:
        report = load_posts(path, con, limits=SMALL, scratch_dir=tmp_path)
        got = con.execute("SELECT count(*), count(DISTINCT post_id) FROM clean_posts").fetchone()
        assert got is not None and got[0] == got[1] == report.posts
        assert 0 < report.posts <= report.rows <= SMALL.max_rows
    except InputError as exc:
        assert name in str(exc)
        assert len(str(exc)) < 1000  # never the whole offending input
    finally:
        con.close()
        path.unlink()


@HYPO
@given(st.binary(max_size=3000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    check_load(tmp_path, data)


@HYPO
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_good_header(tmp_path: Path, data: bytes) -> None:
    check_load(tmp_path, b"post_id,account_id,created_at,text\n" + data)


@HYPO
@given(st.integers(min_value=0, max_value=len(GOOD_CSV)), st.integers(min_value=0, max_value=2))
def test_truncated_or_damaged_csv(tmp_path: Path, cut: int, damage: int) -> None:
    data = GOOD_CSV[:cut]
    if damage == 1:
        data += b'"'
    elif damage == 2:
        data = data.replace(b",", b";", 3)
    check_load(tmp_path, data)


@HYPO
@given(
    st.integers(min_value=0, max_value=len(GOOD_JSONL)), st.sampled_from(["in.jsonl", "in.json"])
)
def test_truncated_json(tmp_path: Path, cut: int, name: str) -> None:
    data = GOOD_JSONL[:cut]
    if name == "in.json":
        data = b"[" + data.replace(b"\n", b",")
    check_load(tmp_path, data, name)


@HYPO
@given(st.integers(min_value=0, max_value=len(GOOD_PARQUET) - 1), st.binary(min_size=0, max_size=8))
def test_truncated_or_corrupted_parquet(tmp_path: Path, cut: int, junk: bytes) -> None:
    data = (
        GOOD_PARQUET[:cut] + junk + GOOD_PARQUET[cut + len(junk) :] if junk else GOOD_PARQUET[:cut]
    )
    check_load(tmp_path, data, "in.parquet")


@HYPO
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                ["account_id", "created_at", "text", "urls", "post_id", "entities", "data"]
            ),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                ),
                max_leaves=8,
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_json_records_of_any_shape(tmp_path: Path, records: list[dict[str, object]]) -> None:
    data = "\n".join(json.dumps(r) for r in records).encode()
    check_load(tmp_path, data, "in.jsonl")


@HYPO
@given(st.text(max_size=300), st.sampled_from(["latin-1", "utf-16", "cp1252", "utf-8"]))
def test_text_in_other_encodings(tmp_path: Path, text: str, encoding: str) -> None:
    raw = f"account_id,created_at,text\na,2024-01-01,{text}\n"
    try:
        data = raw.encode(encoding)
    except UnicodeEncodeError:
        data = raw.encode(encoding, errors="replace")
    check_load(tmp_path, data)


def test_100_mb_single_field_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.write(b'account_id,created_at,text\na,2024-01-01,"')
        block = b"x" * (1 << 20)
        for _ in range(100):
            f.write(block)
        f.write(b'"\n')
    limits = PostLimits(
        max_rows=1000, max_bytes=200_000_000, max_field_chars=100_000, max_columns=50
    )
    con = duckdb.connect()
    with pytest.raises(InputError) as err:
        load_posts(path, con, limits=limits)
    assert "huge.csv" in str(err.value) and "max_field_chars" in str(err.value)
    assert len(str(err.value)) < 500


def test_field_over_the_limit_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "account_id,created_at,text\na,2024-01-01,short\nb,2024-01-01," + "y" * 2500 + "\n"
    )
    with pytest.raises(
        LimitError,
        match=r"^long\.csv line 3, column 'text': 2,500 characters long, over the limit of 2,000",
    ):
        load_posts(path, duckdb.connect(), limits=SMALL)


def test_millions_of_columns(tmp_path: Path) -> None:
    header = tmp_path / "wide_header.csv"
    header.write_bytes(b",".join(b"c%d" % i for i in range(2_000_000)) + b"\n1\n")
    with pytest.raises(LimitError, match=r"wide_header\.csv"):
        load_posts(header, duckdb.connect(), limits=SMALL)
    row = tmp_path / "wide_row.csv"
    row.write_bytes(b"account_id,created_at,text\na,2024-01-01,x\n" + b"," * 2_000_000 + b"\n")
    with pytest.raises(InputError, match=r"wide_row\.csv"):
        load_posts(row, duckdb.connect(), limits=SMALL)
    keys = tmp_path / "wide.jsonl"
    keys.write_text(json.dumps({f"k{i}": i for i in range(100_000)}) + "\n")
    with pytest.raises(LimitError, match="100,000 keys, over the limit of 20"):
        load_posts(keys, duckdb.connect(), limits=SMALL)


def _bomb(path: Path, copies: int = 3) -> int:
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"account_id,created_at,text\n")
        chunk = b"a,2024-01-01,x\n" * 100_000
        for _ in range(copies):  # 1.5 MB of CSV per copy from a few kB
            f.write(chunk)
    return path.stat().st_size


def test_decompression_bomb_stops_at_its_ratio_bound(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    packed = _bomb(path)
    assert packed < 20_000  # about 700x: a real export compresses 2-4x
    bound = 100 * packed
    with pytest.raises(LimitError) as caught:
        load_posts(path, duckdb.connect(), limits=SMALL, scratch_dir=tmp_path)
    assert str(caught.value) == (
        f"bomb.csv.gz unpacks to more than {bound:,} bytes "
        f"(100x its {packed:,} compressed bytes, max_unpack_ratio)"
    )
    assert list(tmp_path.glob(".gunzip-*")) == []  # the partial output is gone


def test_decompression_bomb_past_the_file_limit_names_that_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    _bomb(path)
    lax = PostLimits(**{**SMALL.__dict__, "max_unpack_ratio": 10_000})
    with pytest.raises(LimitError, match=r"^bomb\.csv\.gz unpacks to more than 2,000,000 bytes "):
        load_posts(path, duckdb.connect(), limits=lax, scratch_dir=tmp_path)


def test_unpacking_never_writes_past_the_bound() -> None:
    def copy(data: bytes, out: io.BytesIO) -> int:
        return copy_bounded(
            io.BytesIO(data), out, shown="up.gz", packed=100, max_bytes=10**9, max_ratio=30
        )

    out = io.BytesIO()
    with pytest.raises(LimitError, match=r"^up\.gz unpacks to more than 3,000 bytes \(30x its"):
        copy(b"x" * 10_000_000, out)
    assert len(out.getvalue()) <= 3_000
    honest = io.BytesIO()
    assert copy(b"y" * 3_000, honest) == 3_000
    assert honest.getvalue() == b"y" * 3_000


def test_a_zipped_bomb_stops_at_its_ratio_bound(tmp_path: Path) -> None:
    import zipfile

    from corpus.posts.dataset_zip import open_dataset_zip

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("posts.csv", b"account_id,created_at,text\n" + b"a,2024-01-01,x\n" * 300_000)
    packed = zipfile.ZipFile(path).getinfo("posts.csv").compress_size
    with (
        pytest.raises(
            LimitError,
            match=r"^export\.zip:posts\.csv is 4,500,027 bytes unpacked, "
            rf"over the limit of {100 * packed:,} \(100x its",
        ),
        open_dataset_zip(path, shown="export.zip", scratch=tmp_path / "s", max_bytes=10**9),
    ):
        pass


def test_too_many_rows(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("account_id,created_at,text\n" + "a,2024-01-01,x\n" * 1001)
    with pytest.raises(LimitError, match="more than 1,000 rows"):
        load_posts(path, duckdb.connect(), limits=SMALL)


def test_failed_loads_store_nothing_and_keep_what_was_there(tmp_path: Path) -> None:
    svc = make_service(tmp_path / "d", max_field_chars=2_000)
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD_CSV)
    before = svc.analyze_file(good, scope="s", name="keep")
    bad_inputs = [
        b"",
        b"\xff\xfe\x00garbage",
        GOOD_CSV[: GOOD_CSV.index(b'"text, number 19') + 5],  # cut inside a quoted field
        b"account_id,created_at,text\na,2024-01-01," + b"z" * 3000 + b"\n",
        GOOD_PARQUET[:100],
    ]
    for i, content in enumerate(bad_inputs):
        path = tmp_path / f"bad{i}.csv"
        path.write_bytes(content)
        for name in (f"new{i}", "keep"):
            with pytest.raises(InputError):
                svc.analyze_file(path, scope="s", name=name)
    assert [d.name for d in svc.datasets("s")] == ["keep"]
    after = svc.latest_analyses("s", "keep")[0]
    assert after.to_json() == before.to_json()
    leftovers = [
        p.name for p in (tmp_path / "d").rglob("*") if p.is_file() and not p.name.startswith("d")
    ]
    assert leftovers == []
