"""Reporting loaders: each supported kind, folders, and every bad input named in issue 2."""

from __future__ import annotations

import codecs
import os
import threading
import time
import zlib
from pathlib import Path

import pypdf
import pytest

from common.errors import InputError, LimitError
from corpus.reporting.load import (
    SUPPORTED_SUFFIXES,
    collect_files,
    load_bytes,
    load_file,
    safe_filename,
)
from corpus.reporting.pdf_text import NO_TEXT_HINT, pdf_to_text
from corpus.reporting.plain_text import markdown_title
from tests.corpus.corpus_support import encrypt_pdf, make_pdf

MB = 1_000_000
ARTICLE = b"""<!doctype html>
<html><head><title>Campaign accounts | Example News</title>
<meta property="og:title" content="Twitter suspends 70 campaign accounts"></head>
<body>
<header><a href="/">Example News</a></header>
<nav><a href="/world">World</a> <a href="/tech">Tech</a></nav>
<article>
<h1>Twitter suspends 70 campaign accounts</h1>
<p>Twitter suspended 70 accounts that posted identical messages within minutes.</p>
<p>Many of the accounts were created two months before the campaign began.</p>
</article>
<aside>Most read: something unrelated</aside>
<footer>Copyright Example News</footer>
<script>var tracking = "do not index this";</script>
</body></html>
"""


NAV_ONLY = (
    b"<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav>"
    b"<script>document.write('x')</script></body></html>"
)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- each kind


def test_text_file(tmp_path: Path) -> None:
    path = write(tmp_path / "field-notes.txt", "First line.\r\nSecond line.  \n")
    doc = load_file(path, max_bytes=MB)
    assert doc.text == "First line.\nSecond line."
    assert doc.title == "field-notes"  # no title in plain text: the file stem
    assert doc.kind == "text"
    assert doc.origin == str(path.resolve())
    assert Path(doc.origin).is_absolute()


def test_text_file_title_line_names_the_source(tmp_path: Path) -> None:
    # A new user's note was listed as "field-notes" although its first line was its title.
    body = (
        "Field notes,  hashtag flood on #RecallMayorLinn (T&S team, 2022-06-03)\n\n"
        "We suspended 144 accounts on June 2.\n"
    )
    doc = load_file(write(tmp_path / "field-notes.txt", body), max_bytes=MB)
    assert doc.title == "Field notes, hashtag flood on #RecallMayorLinn (T&S team, 2022-06-03)"
    only_line = load_file(write(tmp_path / "one.txt", "Just a heading\n"), max_bytes=MB)
    assert only_line.title == "one"  # a lone line is the text, not a title


def test_given_title_wins(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "# Heading\n\nbody")
    assert load_file(path, max_bytes=MB, title="Chosen").title == "Chosen"


def test_markdown_keeps_its_text_and_takes_the_first_heading(tmp_path: Path) -> None:
    source = "```\n# not a heading, code\n```\n\n## The *real* title ##\n\nBody [link](x).\n"
    doc = load_file(write(tmp_path / "story.markdown", source), max_bytes=MB)
    assert doc.kind == "markdown"
    assert doc.text == source.strip()  # Markdown is stored as written: quotes match the file
    assert doc.title == "The *real* title"


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("Setext title\n============\n\nbody", "Setext title"),
        ("---\ntitle: 'From front matter'\n---\n# Heading\n", "From front matter"),
        ("---\nauthor: x\n---\nBelow\n---\n", "Below"),  # front matter is not a heading
        ("no heading at all\n", None),
        ("#hashtag is not a heading\n", None),
        ("~~~\n# fenced\n~~~\n", None),
    ],
)
def test_markdown_title(source: str, title: str | None) -> None:
    assert markdown_title(source) == title


def test_html_main_text_without_page_furniture(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "page.html", ARTICLE), max_bytes=MB)
    assert doc.kind == "html"
    assert doc.title == "Twitter suspends 70 campaign accounts"
    assert "Twitter suspended 70 accounts that posted identical messages" in doc.text
    assert "created two months before" in doc.text
    for furniture in ("World", "Most read", "Copyright", "tracking"):
        assert furniture not in doc.text


def test_html_in_a_declared_legacy_charset_is_decoded_not_refused(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head>'
        "<body><p>Le caf\xe9 a ferm\xe9 ses portes \u2013 d\xe9finitivement.</p></body></html>"
    ).encode("cp1252")
    doc = load_file(write(tmp_path / "old.htm", html), max_bytes=MB)
    assert "Le café a fermé ses portes – définitivement." in doc.text


def test_pdf_pages_joined_with_blank_lines_and_metadata_title(tmp_path: Path) -> None:
    data = make_pdf([["Page one says hello."], ["Page two (with parens)."]], title="Annual report")
    doc = load_file(write(tmp_path / "report.pdf", data), max_bytes=MB)
    assert doc.kind == "pdf"
    assert doc.title == "Annual report"
    assert doc.text == "Page one says hello.\n\nPage two (with parens)."


def test_pdf_without_metadata_title_uses_the_stem(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "q3-findings.PDF", make_pdf([["x y z"]])), max_bytes=MB)
    assert doc.title == "q3-findings"


def test_pdf_without_metadata_title_is_named_by_its_title_line(tmp_path: Path) -> None:
    """matplotlib's PDFs carry no title: the first line that reads as one names it."""
    lines = [
        "Civic Signals Lab Briefing: Harbor Lights Network",
        "Briefing No. 7, 20 March 2026",
        "The lab traced the 163 removed accounts to 6 operator email domains.",
    ]
    doc = load_file(write(tmp_path / "briefing.pdf", make_pdf([lines])), max_bytes=MB)
    assert doc.title == "Civic Signals Lab Briefing: Harbor Lights Network"
    # A metadata title still wins.
    titled = make_pdf([lines], title="Briefing 7")
    assert load_file(write(tmp_path / "b7.pdf", titled), max_bytes=MB).title == "Briefing 7"


def test_suffix_is_case_insensitive_and_supported_set_is_exact() -> None:
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"} == SUPPORTED_SUFFIXES
    doc = load_bytes(b"hello", filename="NOTES.TXT", max_bytes=MB)
    assert doc.kind == "text"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (codecs.BOM_UTF8 + "naïve café".encode(), "naïve café"),
        ("naïve café".encode("utf-16"), "naïve café"),  # BOM + UTF-16 (Windows Notepad)
        (codecs.BOM_UTF16_BE + "naïve".encode("utf-16-be"), "naïve"),
        ("naïve".encode("utf-32"), "naïve"),
    ],
)
def test_text_with_a_byte_order_mark_is_decoded(data: bytes, text: str) -> None:
    assert load_bytes(data, filename="bom.txt", max_bytes=MB).text == text


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", r"^empty\.txt: empty \(nothing in it\)$"),
        ("blank.md", b" \n\t\r\n ", r"^blank\.md: empty"),
        ("bom-only.txt", codecs.BOM_UTF8, r"^bom-only\.txt: no text in it"),
        ("bin.txt", bytes(range(256)) * 4, r"^bin\.txt: binary data, not text .*NUL"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, r"looks like a PNG image"),
        (
            "doc.txt",
            b"%PDF-1.7\n\xe2\xe3\xcf\xd3 obj",
            r"^doc\.txt: binary data, not text \(looks like a PDF",
        ),
        (
            "latin1.txt",
            "café crème".encode("latin-1"),
            r"^latin1\.txt: not valid UTF-8 text .*as UTF-8",
        ),
        ("utf16-nobom.txt", "plain".encode("utf-16-le"), r"UTF-16 text needs a byte-order mark"),
        ("controls.txt", b"\x01\x02\x03\x04abc\x05\x06\x07\x08", r"mostly control characters"),
        ("broken-bom.txt", codecs.BOM_UTF8 + b"ok \xff\xfe", r"^broken-bom\.txt: broken utf-8"),
        ("nav.html", NAV_ONLY, r"^nav\.html: no article text found"),
        ("empty.html", b"<html><body></body></html>", r"no article text found"),
        (
            "charset.html",
            b"<meta charset='utf-8'><p>caf\xe9</p>",
            r"cannot decode the HTML \(declared utf-8",
        ),
        ("fake.pdf", b"this is not a pdf at all", r"^fake\.pdf: not a readable PDF \(corrupt or"),
        (
            "archive.zip",
            b"PK\x03\x04",
            r"^archive\.zip: unsupported file type '\.zip'; supported: ",
        ),
        ("README", b"hello", r"^README: unsupported file type \(no extension\)"),
    ],
)
def test_bad_input_is_one_clear_line_naming_the_file(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        load_bytes(data, filename=name, max_bytes=MB)
    assert "\n" not in str(caught.value)


def test_pdf_without_a_text_layer_says_run_ocr() -> None:
    scanned = make_pdf([[]], raw_streams=[b"q 100 0 0 100 72 600 cm 0 0 1 1 re f Q"])
    with pytest.raises(
        InputError, match=r"^scan\.pdf: no extractable text — scanned image\? run OCR first$"
    ):
        load_bytes(scanned, filename="scan.pdf", max_bytes=MB)
    assert NO_TEXT_HINT in "no extractable text — scanned image? run OCR first"


def test_pdf_truncated_is_corrupt() -> None:
    data = make_pdf([["Some text on the page."]])
    with pytest.raises(InputError, match=r"^cut\.pdf: (not a readable PDF|no extractable text)"):
        load_bytes(data[: len(data) // 3], filename="cut.pdf", max_bytes=MB)


def test_encrypted_pdf_with_a_password_is_refused() -> None:
    locked = encrypt_pdf(make_pdf([["Secret text."]]), user_password="hunter2")
    with pytest.raises(
        InputError, match=r"^locked\.pdf: the PDF is encrypted \(password-protected\)"
    ):
        load_bytes(locked, filename="locked.pdf", max_bytes=MB)


def test_pdf_encrypted_only_against_copying_still_opens() -> None:
    # Owner-password-only encryption (empty user password) is how many reports ship.
    restricted = encrypt_pdf(make_pdf([["Readable text."]]), user_password="")
    assert load_bytes(restricted, filename="r.pdf", max_bytes=MB).text == "Readable text."


def test_aes_encrypted_pdf_with_empty_password_opens() -> None:
    pytest.importorskip("cryptography")
    restricted = encrypt_pdf(make_pdf([["AES text."]]), user_password="", algorithm="AES-256")
    assert load_bytes(restricted, filename="aes.pdf", max_bytes=MB).text == "AES text."


def test_pdf_page_count_is_capped() -> None:
    data = make_pdf([["one"], ["two"], ["three"]])
    with pytest.raises(LimitError, match=r"^many\.pdf: the PDF has 3 pages; the limit is 2$"):
        pdf_to_text(data, name="many.pdf", max_text_bytes=MB, max_pages=2)


def test_pdf_extracted_text_is_capped_by_max_bytes() -> None:
    # 40 kB of text compresses to a PDF far under the byte limit: the text cap catches it.
    data = make_pdf([["The same sentence again. " * 20] * 80], compress=True)
    assert len(data) < 5_000
    with pytest.raises(
        LimitError, match=r"^bomb\.pdf: the PDF's text is over the 5,000-byte limit"
    ):
        load_bytes(data, filename="bomb.pdf", max_bytes=5_000)


def test_pdf_decompression_bomb_hits_a_pypdf_limit() -> None:
    # A content stream that inflates past the configured limit is refused, not inflated.
    stream = b"BT /F1 12 Tf 72 720 Td (x) Tj ET " + b" " * 3_000_000
    data = make_pdf([[]], raw_streams=[stream], compress=True)
    assert len(data) < 20_000
    with (
        pypdf.apply_configuration(zlib_maximum_output_length=1_000_000),
        pytest.raises(LimitError, match=r"^z\.pdf: the PDF exceeds a safety limit"),
    ):
        load_bytes(data, filename="z.pdf", max_bytes=MB)


def test_damaged_pdf_that_repairs_slowly_is_stopped_at_the_time_limit() -> None:
    # Wrong xref offsets make pypdf rescan the whole file for every object: quadratic,
    # minutes for a few MB. The extraction is abandoned at the limit, and really stops.
    pages = [[f"Page {i} line {j}" for j in range(20)] for i in range(1500)]
    damaged = make_pdf(pages).replace(b" 00000 n ", b" 00001 n ")
    started = time.monotonic()
    with pytest.raises(LimitError, match=r"^slow\.pdf: extracting the text took over 0\.5 s"):
        load_bytes(damaged, filename="slow.pdf", max_bytes=20 * MB, time_limit_s=0.5)
    assert time.monotonic() - started < 6  # unbounded, this takes minutes
    assert not _extraction_threads_alive(within_s=3)


def test_html_extraction_is_time_limited_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def forever(html: str, *, name: str) -> tuple[str, str | None]:
        while True:  # a pathological parser path, in Python
            pass

    monkeypatch.setattr("corpus.reporting.load.html_to_text", forever)
    with pytest.raises(LimitError, match=r"^spin\.html: extracting the text took over 0\.3 s"):
        load_bytes(b"<p>x</p>", filename="spin.html", max_bytes=MB, time_limit_s=0.3)
    assert not _extraction_threads_alive(within_s=3)


def _extraction_threads_alive(*, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(t.name == "chorus-extract" for t in threading.enumerate()):
            return False
        time.sleep(0.05)
    return True


# --------------------------------------------------------------------------- size


def test_oversized_file_is_refused_by_size_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * MB)
    readers: list[int] = []
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: readers.append(fd))
    with pytest.raises(
        LimitError, match=r"^.*huge\.txt: 200 MB is over the 20 MB limit for one source$"
    ):
        load_file(path, max_bytes=20 * MB)
    assert readers == []  # refused from fstat alone: no file object was ever made to read


def test_attachment_over_the_limit() -> None:
    with pytest.raises(LimitError, match=r"^big\.txt: 2\.5 kB is over the 2 kB limit"):
        load_bytes(b"a" * 2500, filename="big.txt", max_bytes=2000)


def test_file_exactly_at_the_limit_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "edge.txt", b"x" * 100)
    assert len(load_file(path, max_bytes=100).text) == 100


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # opening a FIFO for reading would wait forever for a writer
    with pytest.raises(InputError, match=r"pipe\.txt: not a regular file"):
        load_file(fifo, max_bytes=MB)
    with pytest.raises(InputError, match=r"gone\.txt: no such file"):
        load_file(tmp_path / "gone.txt", max_bytes=MB)
    (tmp_path / "dir.txt").mkdir()
    (tmp_path / "reports").mkdir()
    with pytest.raises(InputError, match=r"dir\.txt: is a folder"):
        load_file(tmp_path / "dir.txt", max_bytes=MB)
    with pytest.raises(InputError, match=r"reports: is a folder"):  # not "no extension"
        load_file(tmp_path / "reports", max_bytes=MB)


# --------------------------------------------------------------------------- attachment names


@pytest.mark.parametrize(
    ("filename", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/shadow.md", "shadow.md"),
        ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
        ("..", "attachment"),
        ("", "attachment"),
        ("a\nb.txt", "a b.txt"),
    ],
)
def test_safe_filename(filename: str, safe: str) -> None:
    assert safe_filename(filename) == safe


def test_traversal_in_attachment_names_never_touches_the_filesystem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = write(tmp_path / "secret.txt", "TOP SECRET")
    opened: list[object] = []

    def record(*args: object, **kwargs: object) -> int:
        opened.append(args)
        raise AssertionError("load_bytes touched the filesystem")

    monkeypatch.setattr(os, "open", record)
    monkeypatch.setattr(os, "stat", record)
    name = f"../../../../{secret}"
    doc = load_bytes(b"uploaded body", filename=name, max_bytes=MB)
    assert doc.text == "uploaded body"  # the bytes given, not the file the name points at
    assert doc.origin == "attachment:secret.txt"
    assert doc.title == "secret"
    assert opened == []


def test_attachment_origin_may_be_given() -> None:
    doc = load_bytes(b"x", filename="a.txt", max_bytes=MB, origin="https://cdn.example/a.txt")
    assert doc.origin == "https://cdn.example/a.txt"


# --------------------------------------------------------------------------- folders


def test_collect_files_recursive_sorted_hidden_skipped_and_unsupported_listed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "reporting"
    for rel in ["b.txt", "a.md", "sub/z.pdf", "sub/deeper/c.html", "sub/notes.docx", "image.png"]:
        write(root / rel, b"x")
    write(root / ".hidden.txt", b"x")
    write(root / ".git" / "config.txt", b"x")
    files, skipped = collect_files([root], max_files=100)
    assert [p.relative_to(root).as_posix() for p in files] == [
        "a.md",
        "b.txt",
        "sub/z.pdf",
        "sub/deeper/c.html",
    ]
    assert [(p.relative_to(root).as_posix(), why) for p, why in skipped] == [
        ("image.png", "unsupported file type '.png'"),
        ("sub/notes.docx", "unsupported file type '.docx'"),
    ]


def test_collect_files_same_file_twice_is_listed_once(tmp_path: Path) -> None:
    one = write(tmp_path / "one.txt", b"x")
    files, _ = collect_files([tmp_path, one, tmp_path / "." / "one.txt"], max_files=10)
    assert files == [one]


def test_collect_files_does_not_follow_folder_links(tmp_path: Path) -> None:
    write(tmp_path / "real" / "a.txt", b"x")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real", target_is_directory=True)
    files, skipped = collect_files([tmp_path / "real"], max_files=10)
    assert [p.name for p in files] == ["a.txt"]
    assert skipped == [(tmp_path / "real" / "loop", "link to a folder (not followed)")]


def test_collect_files_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.txt: no such file or folder$"):
        collect_files([tmp_path / "missing.txt"], max_files=10)
    with pytest.raises(InputError, match=r"slides\.pptx: unsupported file type '\.pptx'"):
        collect_files([write(tmp_path / "slides.pptx", b"x")], max_files=10)


def test_collect_files_explicit_hidden_file_is_allowed(tmp_path: Path) -> None:
    hidden = write(tmp_path / ".draft.md", b"x")
    assert collect_files([hidden], max_files=1) == ([hidden], [])


def test_collect_files_over_the_limit_stops_early(tmp_path: Path) -> None:
    for i in range(5):
        write(tmp_path / f"{i}.txt", b"x")
    assert len(collect_files([tmp_path], max_files=5)[0]) == 5
    with pytest.raises(
        LimitError, match=r"more than 4 files to add \(the limit for one ingest is 4\)"
    ):
        collect_files([tmp_path], max_files=4)


def test_collected_files_all_load(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "alpha")
    write(tmp_path / "b.md", "# Beta\n\nbeta body")
    write(tmp_path / "c.html", ARTICLE)
    write(tmp_path / "d.pdf", make_pdf([["delta"]]))
    files, skipped = collect_files([tmp_path], max_files=10)
    docs = [load_file(p, max_bytes=MB) for p in files]
    assert [d.kind for d in docs] == ["text", "markdown", "html", "pdf"]
    assert skipped == []
    assert len({d.sha256 for d in docs}) == 4


def test_corrupt_compressed_stream_in_pdf_is_an_input_error() -> None:
    data = make_pdf([["hello there"]], compress=True)
    start = data.index(b"stream\n") + len(b"stream\n")
    broken = data[:start] + zlib.compress(b"x")[:2] + b"\xff" * 10 + data[start + 12 :]
    with pytest.raises(InputError, match=r"^broken\.pdf: "):
        load_bytes(broken, filename="broken.pdf", max_bytes=MB)
