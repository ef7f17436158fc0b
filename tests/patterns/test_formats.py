"""Post-dataset formats, column mapping, lenient timestamps and the load report."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import InputError
from corpus.posts import line_endings
from corpus.posts.line_endings import first_differing_ending
from tests.corpus.post_support import Post, read_posts
from tests.patterns.conftest import LIMITS

CANON = (
    "post_id,account_id,created_at,text,urls,hashtags,image_hashes,repost_of,reply_to,"
    "account_created_at,account_name,platform\n"
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(path: Path, **kw: object) -> tuple[list[Post], object]:
    return read_posts(path, limits=LIMITS, **kw)  # type: ignore[arg-type]


EXPECTED = [
    Post(
        post_id="1",
        account_id="alice",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        text="Hello world",
        urls=("https://a.example/x", "https://b.example"),
        hashtags=("#one", "#two"),
        image_hashes=("ff00",),
        repost_of=None,
        reply_to="9",
        account_created_at=datetime(2023, 12, 1, tzinfo=UTC),
        account_name="Alice",
        platform="x",
    ),
    Post(
        post_id="2",
        account_id="bob",
        created_at=datetime(2024, 1, 1, 0, 1, tzinfo=UTC),
        repost_of="1",
    ),
]


def test_canonical_csv_jsonl_parquet_give_the_same_posts(tmp_path: Path) -> None:
    csv_path = write(
        tmp_path,
        "p.csv",
        CANON
        + "1,alice,2024-01-01T00:00:00Z,Hello world,https://a.example/x https://b.example,"
        + "#one #two,ff00,,9,2023-12-01,Alice,x\n"
        + "2,bob,1704067260,,,,,1,,,,\n",
    )
    rows = [
        {
            "post_id": "1",
            "account_id": "alice",
            "created_at": "2024-01-01T00:00:00Z",
            "text": "Hello world",
            "urls": ["https://a.example/x", "https://b.example"],
            "hashtags": "#one #two",
            "image_hashes": ["ff00"],
            "reply_to": 9,
            "account_created_at": "2023-12-01",
            "account_name": "Alice",
            "platform": "x",
        },
        {"post_id": 2, "account_id": "bob", "created_at": 1704067260000, "repost_of": "1"},
    ]
    jsonl = write(tmp_path, "p.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    array = write(tmp_path, "p.json", json.dumps(rows, indent=2))
    table = pa.table(
        {
            "post_id": ["1", "2"],
            "account_id": ["alice", "bob"],
            "created_at": pa.array([1704067200, 1704067260], pa.int64()),
            "text": ["Hello world", None],
            "urls": [["https://a.example/x", "https://b.example"], []],
            "hashtags": [["#one", "#two"], None],
            "image_hashes": [["ff00"], None],
            "repost_of": [None, "1"],
            "reply_to": ["9", None],
            "account_created_at": ["2023-12-01", None],
            "account_name": ["Alice", None],
            "platform": ["x", None],
        }
    )
    parquet = tmp_path / "p.parquet"
    pq.write_table(table, parquet)
    for path in (csv_path, jsonl, array, parquet):
        posts, report = load(path)
        assert posts == EXPECTED, path.name
        assert report.layout == "canonical columns", path.name  # type: ignore[attr-defined]


def test_gzip_is_read_and_named(tmp_path: Path) -> None:
    raw = CANON + "1,alice,2024-01-01T00:00:00Z,Hello,,,,,,,,\n"
    path = write(tmp_path, "p.csv.gz", gzip.compress(raw.encode()))
    posts, report = load(path)
    assert [p.text for p in posts] == ["Hello"]
    assert report.format == "csv (gzip)"  # type: ignore[attr-defined]


def test_twitter_v2_page_and_flattened_tweets(tmp_path: Path) -> None:
    page = {
        "data": [
            {
                "id": "1460323737035677698",
                "author_id": "10",
                "text": "Look https://t.co/a #Tag",
                "created_at": "2021-11-15T19:08:05.000Z",
                "entities": {
                    "urls": [{"url": "https://t.co/a", "expanded_url": "https://site.example/a"}],
                    "hashtags": [{"tag": "Tag"}],
                },
                "attachments": {"media_keys": ["3_1"]},
            },
            {
                "id": "1460323737035677699",
                "author_id": "11",
                "text": "RT @x: Look",
                "referenced_tweets": [{"type": "retweeted", "id": "1460323737035677698"}],
            },
        ],
        "includes": {
            "users": [{"id": "10", "username": "ten", "created_at": "2021-10-01T00:00:00.000Z"}]
        },
    }
    path = write(tmp_path, "v2.jsonl", json.dumps(page) + "\n")
    posts, report = load(path)
    assert report.layout == "Twitter API v2 JSON"  # type: ignore[attr-defined]
    first, second = posts
    assert first.account_name == "ten" and first.urls == ("https://site.example/a",)
    assert first.hashtags == ("Tag",) and first.image_hashes == ("3_1",)
    assert first.account_created_at is not None and first.account_created_at.year == 2021
    assert second.repost_of == "1460323737035677698"
    # No created_at: the time comes from the snowflake id (same second as the first tweet).
    assert abs((second.created_at - first.created_at).total_seconds()) < 1


def test_twitter_v1_classic_timestamps(tmp_path: Path) -> None:
    tweet = {
        "id_str": "5",
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "full_text": "hi",
        "user": {
            "id_str": "77",
            "screen_name": "seven",
            "created_at": "Mon Oct 01 00:00:00 +0000 2018",
        },
        "entities": {"urls": [{"expanded_url": "https://e.example"}], "hashtags": [{"text": "x"}]},
        "retweeted_status": {"id_str": "4"},
    }
    posts, report = load(write(tmp_path, "v1.jsonl", json.dumps(tweet) + "\n"))
    (post,) = posts
    assert report.layout == "Twitter API v1.1 JSON"  # type: ignore[attr-defined]
    assert post.created_at.timestamp() == 1539202764
    assert (post.account_id, post.repost_of, post.account_name) == ("77", "4", "seven")


def test_toolkit_and_coortweet_layouts(tmp_path: Path) -> None:
    toolkit = write(
        tmp_path,
        "tk.csv",
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        "m1,u1,one,,,hello there,1600000000,https://x.example https://y.example\n"
        "m2,u2,two,m1,,hello there,1600000010,\n",
    )
    posts, report = load(toolkit)
    assert report.layout == "coordination-network-toolkit CSV"  # type: ignore[attr-defined]
    assert posts[0].urls == ("https://x.example", "https://y.example")
    assert posts[1].repost_of == "m1" and posts[1].urls == ()

    coor = write(
        tmp_path,
        "coor.csv",
        "object_id,account_id,content_id,timestamp_share\nobj,acc1,c1,1623881091.0\nobj,acc2,c2,1623881099.0\n",
    )
    posts, report = load(coor)
    assert report.layout == "CooRTweet object table"  # type: ignore[attr-defined]
    assert [(p.post_id, p.repost_of) for p in posts] == [("c1", "obj"), ("c2", "obj")]


def test_one_post_over_several_rows_is_merged(tmp_path: Path) -> None:
    # CooRTweet's german_elections layout: one row per post and object.
    path = write(
        tmp_path,
        "multi.csv",
        "account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp\n"
        "fb_1,100,u1,,d1,,1629589836.0\n"
        "fb_1,100,,h1,,,1629589836.0\n"
        "fb_1,100,,,,img9,1629589836.0\n"
        "fb_2,100,u2,,,,1629589900.0\n"  # same id, other account: a real duplicate, dropped
        "fb_2,101,u1,,,,1629589840.0\n",
    )
    posts, report = load(path)
    assert [(p.post_id, p.account_id) for p in posts] == [("100", "fb_1"), ("101", "fb_2")]
    assert posts[0].urls == ("u1",) and posts[0].hashtags == ("h1",)
    assert posts[0].image_hashes == ("img9",) and posts[0].domains == ("d1",)
    assert (report.duplicate_rows, report.merged_rows) == (3, 2)  # type: ignore[attr-defined]
    assert "3 rows repeated an earlier post id: 2 merged" in report.notes()[0]  # type: ignore[attr-defined]


def test_one_dropped_row_is_worded_as_one(tmp_path: Path) -> None:
    # A user saw "note: 1 rows had no account id" and "1 rows repeated an earlier post id".
    path = write(
        tmp_path,
        "one.csv",
        "post_id,account_id,created_at,text\n"
        "p1,ann,2024-01-01T10:00:00Z,hi\n"
        "p1,ben,2024-01-01T10:00:05Z,hi\n"
        "p2,,2024-01-01T10:00:06Z,hi\n"
        "p3,cat,not-a-date,hi\n",
    )
    _, report = load(path)
    notes = report.notes()  # type: ignore[attr-defined]
    assert any(n.startswith("1 row repeated an earlier post id: 1 dropped") for n in notes), notes
    assert "1 row had no account id and was skipped" in notes
    assert any(n.startswith("1 row had an unparseable timestamp and was skipped") for n in notes)


def test_map_overrides_and_generated_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path, "odd.csv", "who,when,said\nann,2024-01-01 10:00,hi\nben,2024-01-01 10:00:30,hi\n"
    )
    with pytest.raises(InputError) as err:
        load(path)
    assert "no account_id column" in str(err.value) and "Columns found: who, when, said" in str(
        err.value
    )
    posts, report = load(path, mapping={"account_id": "who", "created_at": "WHEN", "text": "said"})
    assert [p.post_id for p in posts] == ["row-1", "row-2"]
    assert posts[1].created_at.second == 30
    assert report.generated_ids  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="'nope' is not a post field"):
        load(path, mapping={"nope": "who"})
    with pytest.raises(InputError, match="has no column 'missing'"):
        load(path, mapping={"account_id": "missing"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-01T00:00:00Z", 1704067200.0),
        ("2024-01-01T02:00:00+02:00", 1704067200.0),
        ("2024-01-01 00:00:00", 1704067200.0),  # no zone: UTC
        ("2024-01-01", 1704067200.0),
        ("1704067200", 1704067200.0),
        ("1704067200.5", 1704067200.5),
        ("1704067200000", 1704067200.0),  # milliseconds
        ("1704067200000000", 1704067200.0),  # microseconds
        ("Mon Jan 01 00:00:00 +0000 2024", 1704067200.0),  # Twitter classic
    ],
)
def test_lenient_timestamps(tmp_path: Path, raw: str, expected: float) -> None:
    path = write(tmp_path, "t.csv", f"account_id,created_at,text\na,{raw},x\n")
    (post,), _ = load(path)
    assert post.created_at.timestamp() == expected


def test_unparseable_timestamps_counted_shown_skipped_or_strict(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "account_id,created_at,text\na,yesterday,x\nb,2024-01-01,x\nc,,x\nd,soon,x\ne,later,x\nf,nope,x\n",
    )
    posts, report = load(path)
    assert [p.account_id for p in posts] == ["b"]
    assert report.bad_timestamps == 5  # type: ignore[attr-defined]
    # Named by the file's line, the header being line 1.
    assert report.bad_timestamp_examples == ("line 2: 'yesterday'", "line 4: ''", "line 5: 'soon'")  # type: ignore[attr-defined]
    with pytest.raises(InputError) as err:
        load(path, strict=True)
    assert str(err.value).startswith(
        "bad.csv line 2, column 'created_at': cannot read the timestamp 'yesterday'; 5 rows "
        "like it (line 2: 'yesterday'; line 4: ''; line 5: 'soon'); fix them, or run without "
        "strict to skip them"
    )


def test_row_errors_name_the_file_line_past_blank_lines_and_quoted_line_breaks(
    tmp_path: Path,
) -> None:
    """Line 1 is the header; a blank line and a text over three lines move later rows down."""
    path = write(
        tmp_path,
        "posts.csv",
        'account_id,timestamp,text\r\na,2024-01-01,ok\r\n\r\nb,2024-01-01,"two\nmore\nlines"\r\n'
        "c,whenever,x\r\n",
    )
    with pytest.raises(InputError) as err:
        load(path, strict=True)
    assert str(err.value).startswith(
        "posts.csv line 7, column 'timestamp': cannot read the timestamp 'whenever' ("
    )
    jsonl = write(
        tmp_path,
        "posts.jsonl",
        '{"account_id": "a", "created_at": "2024-01-01", "text": "x"}\n\n'
        '{"account_id": "b", "created_at": "soon", "text": "y"}\n',
    )
    _, report = load(jsonl)
    assert report.bad_timestamp_examples == ("line 3: 'soon'",)  # type: ignore[attr-defined]
    array = write(
        tmp_path,
        "posts.json",
        '[\n {"account_id": "a", "created_at": "2024-01-01", "text": "x"},\n'
        ' {"account_id": "b", "created_at": "soon", "text": "y"}\n]\n',
    )
    _, report = load(array)
    assert report.bad_timestamp_examples == ("record 2: 'soon'",)  # type: ignore[attr-defined]


def test_repeated_ids_dropped_and_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dup.csv",
        "post_id,account_id,created_at,text\n1,a,1,x\n1,b,2,y\n2,a,3,z\n1,a,1,x\n",
    )
    posts, report = load(path)
    assert [(p.post_id, p.account_id, p.text) for p in posts] == [("1", "a", "x"), ("2", "a", "z")]
    assert report.duplicate_rows == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"account_id,created_at,text\n", "has a header but no rows"),
        (b"account_id,created_at,text\na,2024-01-01,caf\xe9\n", "not UTF-8"),
        ("\ufeffa".encode("utf-16"), "UTF-16"),
        (b'account_id,created_at,text\na,2024-01-01,x\nb,2024-01-01,"unfinished', "never ends"),
        (b"account_id,created_at,text\na,2024-01-01,x\nb,2024", "wrong number of fields"),
        (b"PK\x03\x04rest", "archive"),
        (b"account_id,text\na,x\n", "no created_at column"),
        (b"account_id,created_at\na,2024-01-01\n", "no column to compare posts by"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(InputError, match=message) as err:
        load(path)
    assert "bad.csv" in str(err.value)


def test_truncated_json_and_parquet(tmp_path: Path) -> None:
    lines = "\n".join(
        json.dumps({"account_id": "a", "created_at": 1, "text": "x"}) for _ in range(3)
    )
    with pytest.raises(InputError, match=r"line 3 is not valid JSON.*truncated"):
        load(write(tmp_path, "t.jsonl", lines[:-5]))
    with pytest.raises(InputError, match="array is not closed"):
        load(write(tmp_path, "t.json", "[" + lines.replace("\n", ",")))
    table = pa.table({"account_id": ["a"] * 100, "created_at": [1] * 100, "text": ["x"] * 100})
    pq.write_table(table, tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    with pytest.raises(InputError, match="not a complete Parquet file"):
        load(write(tmp_path, "t.parquet", data[: len(data) // 2]))


def test_a_csv_with_mixed_line_endings_loads_and_names_lines_as_written(tmp_path: Path) -> None:
    """Rows appended with `echo` (LF) to a file written by Python's csv module (CRLF, a line
    break inside a quoted text kept as LF): DuckDB alone refuses the file."""
    written = (
        'post_id,account_id,created_at,text\r\np1,a,2024-01-01,"two\nlines"\r\n'
        "p2,b,2024-01-02,hi\r\n"
    )
    appended = "p3,c,2024-01-03,more\np4,d,whenever,x\n"
    path = write(tmp_path, "mixed.csv", written + appended)
    posts, report = load(path)
    assert [(p.post_id, p.text) for p in posts] == [
        ("p1", "two\nlines"),
        ("p2", "hi"),
        ("p3", "more"),
    ]
    assert report.format == "csv, mixed line endings"  # type: ignore[attr-defined]
    assert report.bad_timestamp_examples == ("line 6: 'whenever'",)  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.csv"]  # the copy is gone
    # LF first, CRLF later, gzipped: read the same way, both scratch files removed.
    packed = tmp_path / "packed.csv.gz"
    lf_first = "post_id,account_id,created_at,text\np1,a,2024-01-01,x\r\np2,b,2024-01-02,y\r\n"
    packed.write_bytes(gzip.compress(lf_first.encode()))
    posts, report = load(packed)
    assert [p.post_id for p in posts] == ["p1", "p2"]
    assert report.format == "csv (gzip), mixed line endings"  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.csv", "packed.csv.gz"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"h\r\na\r\nb\nc\r\n", (3, "LF", "CRLF")),
        (b"h\na\r\n", (2, "CRLF", "LF")),
        (b'h\r\n"a\nb"\r\nc\r\n', None),  # a quoted line break is not a row ending
        (b'h\r\n"a\r\nb"\nc\r\n', (3, "LF", "CRLF")),
        (b"h\r\na\r\nb", None),
    ],
)
def test_first_differing_ending_finds_the_line(
    tmp_path: Path, content: bytes, expected: tuple[int, str, str] | None
) -> None:
    path = write(tmp_path, "x.csv", content)
    assert first_differing_ending(path) == expected


def test_endings_are_found_and_fixed_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(line_endings, "CHUNK", 4)
    content = b'abc\r\nde\r\nfgh\r\n"q\r\n"\r\nlast\n'
    path = write(tmp_path, "x.csv", content)
    assert first_differing_ending(path) == (6, "LF", "CRLF")
    fixed = line_endings.crlf_to_lf(path, tmp_path / "scratch")
    assert fixed.read_bytes() == content.replace(b"\r\n", b"\n")


@pytest.mark.parametrize("name", ["article.md", "Fact-Check.HTML", "report.pdf", "notes.md.gz"])
def test_a_reporting_document_is_refused_as_posts_by_its_name(tmp_path: Path, name: str) -> None:
    body = b"post_id,account_id,created_at,text\np1,a,2024-01-01,hi\n"  # would load as CSV
    path = write(tmp_path, name, gzip.compress(body) if name.endswith(".gz") else body)
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value) == (
        f"{name} is not a posts file (CSV, JSON, JSON Lines, Parquet, optionally .gz): "
        "use ingest for reporting"
    )


def test_a_tab_separated_table_saved_as_txt_still_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path, "export.txt", "post_id\taccount_id\tcreated_at\ttext\np1\ta\t2024-01-01\thi\n"
    )
    posts, _ = load(path)
    assert [(p.post_id, p.text) for p in posts] == [("p1", "hi")]
