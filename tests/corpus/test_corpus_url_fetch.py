"""URL fetching: content types, limits, time, redirects, and SSRF refusals before connecting.

Happy paths talk to a threaded server on 127.0.0.1 (allowed through `allow_private` or
`allowed_networks`). Private targets, and names that resolve to them, are only ever refused:
a socket spy shows no connection was attempted, and a stub resolver stands in for DNS.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import FetchError, InputError, LimitError
from corpus.web.addresses import _blocked_reason, _ip_literal, is_url
from corpus.web.fetch import fetch_url
from corpus.web.policy import FetchPolicy
from tests.corpus.corpus_support import (
    Handler,
    LocalServer,
    SocketSpy,
    deflate_bomb,
    endless,
    make_cert,
    make_pdf,
    serve,
    spy_on_sockets,
    trickle,
)

ARTICLE = (
    b"<html><head><title>Suspensions | Example</title></head><body><nav>Menu</nav>"
    b"<article><h1>Seventy accounts suspended</h1>"
    b"<p>The platform suspended seventy accounts for coordinated posting.</p></article>"
    b"</body></html>"
)
LOCAL = FetchPolicy(allow_private=True, timeout_s=5)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serve() as local:
        local.reply("/article.html", ARTICLE)
        yield local


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SocketSpy:
    return spy_on_sockets(monkeypatch)


class StubResolver:
    """DNS stand-in: fixed answers per host, every call recorded."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        replies = self.answers[host]
        return replies[min(len(self.calls), len(replies)) - 1]


def resolver(**hosts: list[str]) -> StubResolver:
    return StubResolver({host.replace("_", "."): [ips] for host, ips in hosts.items()})


# --------------------------------------------------------------------------- is_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.com/a", True),
        ("  HTTP://example.com  ", True),
        ("ftp://example.com/x", True),  # a URL: fetch_url refuses it with the reason
        ("file:///etc/passwd", True),
        ("reports/2024.pdf", False),
        ("C:\\reports\\a.pdf", False),
        ("C://reports", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_url(text: str, expected: bool) -> None:
    assert is_url(text) is expected


# --------------------------------------------------------------------------- refused early


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", r"uses file:, but only http:// and https:// URLs are fetched"),
        ("ftp://example.com/report.txt", r"uses ftp:"),
        ("gopher://example.com:70/_x", r"uses gopher:"),
        ("javascript:alert(1)", r"uses javascript:"),
        ("data:text/plain,hello", r"uses data:"),
        ("example.com/page", r"is not a URL"),
        ("http:///nohost", r"has no host name"),
        ("http://exa mple.com/", r"invalid host name"),
        ("http://example.com:99999/", r"invalid port 99999"),
        ("http://1.2.3.4.5/", r"not a valid IP address"),
        ("http://256.0.0.1/", r"not a valid (IP address|URL)"),
        ("http://0x100000000/", r"not a valid (IP address|URL)"),
        ("http://a.b.9/", r"not a valid IP address"),  # ends in a number: an address or nothing
        ("https://example.com/" + "a" * 5000, r"too long"),
    ],
)
def test_bad_urls_are_refused_before_any_lookup(url: str, message: str, spy: SocketSpy) -> None:
    stub = resolver()
    with pytest.raises(FetchError, match=message) as caught:
        fetch_url(url, FetchPolicy(resolver=stub))
    assert "\n" not in str(caught.value)
    assert stub.calls == []
    assert spy.connects == []


def test_credentials_in_urls_are_refused_and_never_echoed(spy: SocketSpy) -> None:
    with pytest.raises(FetchError, match=r"user name or password") as caught:
        fetch_url("https://alice:hunter2@example.com/private", FetchPolicy(resolver=resolver()))
    assert "hunter2" not in str(caught.value)
    assert "***@example.com" in str(caught.value)
    assert spy.connects == []


def test_octal_spelling_is_refused_too(spy: SocketSpy) -> None:
    # httpx rejects octal dotted quads outright; either refusal is fine, a connection is not.
    with pytest.raises(FetchError, match=r"not a valid URL|points at 127\.0\.0\.1"):
        fetch_url("http://0177.0.0.1/", FetchPolicy(resolver=resolver()))
    assert spy.connects == []


@pytest.mark.parametrize(
    ("host", "address", "kind"),
    [
        ("127.0.0.1", "127.0.0.1", "loopback"),
        ("127.9.9.9", "127.9.9.9", "loopback"),
        ("[::1]", "::1", "loopback"),
        ("10.1.2.3", "10.1.2.3", "private"),
        ("172.16.0.1", "172.16.0.1", "private"),
        ("172.31.255.254", "172.31.255.254", "private"),
        ("192.168.1.1", "192.168.1.1", "private"),
        ("169.254.169.254", "169.254.169.254", "link-local"),  # cloud metadata
        ("0.0.0.0", "0.0.0.0", "unspecified"),
        ("[::]", "::", "unspecified"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1", "loopback"),  # IPv4-mapped IPv6
        ("[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe", "link-local"),
        ("[64:ff9b::a00:1]", "64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("[2002:7f00:1::]", "2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("[::127.0.0.1]", "::7f00:1", "reserved"),  # IPv4-compatible, deprecated
        ("[fc00::1]", "fc00::1", "private"),
        ("[fd12:3456::1]", "fd12:3456::1", "private"),
        ("[fe80::1]", "fe80::1", "link-local"),
        ("[fec0::1]", "fec0::1", "site-local"),
        ("[ff02::1]", "ff02::1", "multicast"),
        ("100.64.0.1", "100.64.0.1", "shared"),  # carrier-grade NAT
        ("224.0.0.251", "224.0.0.251", "multicast"),
        ("239.255.255.250", "239.255.255.250", "multicast"),
        ("240.0.0.1", "240.0.0.1", "private|reserved"),
        ("255.255.255.255", "255.255.255.255", "broadcast|private|reserved"),
        ("198.18.0.1", "198.18.0.1", "private|special-purpose"),  # benchmarking
        ("192.0.2.10", "192.0.2.10", "private|special-purpose"),  # documentation
        # Numeric spellings that getaddrinfo and browsers turn into loopback/private:
        ("2130706433", "127.0.0.1", "loopback"),
        ("0x7f.1", "127.0.0.1", "loopback"),
        ("0x7f000001", "127.0.0.1", "loopback"),
        ("017700000001", "127.0.0.1", "loopback"),
        ("127.1", "127.0.0.1", "loopback"),
        ("127.0.0.1.", "127.0.0.1", "loopback"),
        ("0", "0.0.0.0", "unspecified"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254", "link-local"),
        ("167772161", "10.0.0.1", "private"),
    ],
)
def test_private_addresses_are_refused_before_connecting(
    host: str, address: str, kind: str, spy: SocketSpy
) -> None:
    stub = resolver()
    with pytest.raises(FetchError, match=rf"points at {address}, a ({kind})") as caught:
        fetch_url(f"http://{host}:8080/latest/meta-data/", FetchPolicy(resolver=stub))
    assert "only public addresses are fetched" in str(caught.value)
    assert stub.calls == []  # an address literal is never handed to a resolver
    assert spy.connects == []


@pytest.mark.parametrize(
    "answers",
    [
        ["127.0.0.1"],
        ["10.0.0.7"],
        ["169.254.169.254"],
        ["::1"],
        ["::ffff:192.168.0.1"],
        ["fe80::1%eth0"],
        ["93.184.216.34", "10.0.0.7"],  # one bad answer among good ones is enough
        ["2606:2800:220:1::", "fd00::1"],
    ],
)
def test_names_that_resolve_to_private_addresses_are_refused(
    answers: list[str], spy: SocketSpy
) -> None:
    stub = resolver(internal_example_com=answers)
    with pytest.raises(
        FetchError, match=r"internal\.example\.com/: has a host name that resolves to"
    ):
        fetch_url("https://internal.example.com/", FetchPolicy(resolver=stub))
    assert stub.calls == [("internal.example.com", 443)]
    assert spy.connects == []


def test_unresolvable_and_junk_answers(spy: SocketSpy) -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    with pytest.raises(FetchError, match=r"cannot be resolved \(\[Errno -2\] Name or service"):
        fetch_url("https://nowhere.example/", FetchPolicy(resolver=failing))
    with pytest.raises(FetchError, match=r"resolves to no address"):
        fetch_url("https://empty.example/", FetchPolicy(resolver=resolver(empty_example=[])))
    with pytest.raises(FetchError, match=r"resolved to 'not-an-ip', not an address"):
        fetch_url(
            "https://junk.example/", FetchPolicy(resolver=resolver(junk_example=["not-an-ip"]))
        )
    assert spy.connects == []


def test_a_public_name_connects_to_the_vetted_address_not_a_fresh_lookup() -> None:
    # The conftest guard refuses anything off loopback, so the attempt is stopped, but the
    # refusal shows where the HTTP client went: the address our resolver vetted, with no
    # lookup of the name of its own (which the guard would have reported instead).
    stub = resolver(news_example=["93.184.216.34"])
    with pytest.raises(RuntimeError, match=r"93\.184\.216\.34") as caught:
        fetch_url("https://news.example/story", FetchPolicy(resolver=stub, timeout_s=5))
    assert "news.example" not in str(caught.value)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass_the_check(address: str) -> None:
    assert _blocked_reason(ipaddress.ip_address(address)) is None


def test_policy_validates_its_values() -> None:
    with pytest.raises(ValueError, match=r"does not appear to be"):
        FetchPolicy(allowed_networks=("10.0.0.0/33",))
    with pytest.raises(ValueError, match="timeout_s"):
        FetchPolicy(timeout_s=0)
    with pytest.raises(ValueError, match="max_redirects"):
        FetchPolicy(max_redirects=-1)


# --------------------------------------------------------------------------- local server


def test_loopback_server_is_refused_without_allow_private(
    server: LocalServer, spy: SocketSpy
) -> None:
    with pytest.raises(FetchError, match=r"points at 127\.0\.0\.1, a loopback address"):
        fetch_url(server.url("/article.html"), FetchPolicy(timeout_s=5))
    assert server.requests == []
    assert spy.connects == []


def test_html_page(server: LocalServer) -> None:
    url = server.url("/article.html")
    doc = fetch_url(url, LOCAL)
    assert doc.kind == "url"
    assert doc.origin == url
    assert doc.title == "Seventy accounts suspended"
    assert "suspended seventy accounts for coordinated posting" in doc.text
    assert "Menu" not in doc.text
    assert [r.path for r in server.requests] == ["/article.html"]


def test_title_given_wins(server: LocalServer) -> None:
    assert fetch_url(server.url("/article.html"), LOCAL, title="Mine").title == "Mine"


def test_pdf_text_and_markdown_by_content_type(server: LocalServer) -> None:
    server.reply(
        "/r.pdf", make_pdf([["Findings page."]], title="Findings"), content_type="application/pdf"
    )
    server.reply("/n.txt", b"Plain notes.\r\n", content_type="text/plain")
    server.reply("/m", b"# Heading here\n\nBody.", content_type="text/markdown; charset=utf-8")
    pdf = fetch_url(server.url("/r.pdf"), LOCAL)
    assert (pdf.text, pdf.title) == ("Findings page.", "Findings")
    text = fetch_url(server.url("/n.txt"), LOCAL)
    assert (text.text, text.title) == ("Plain notes.", "n")  # fallback title: URL's last segment
    assert fetch_url(server.url("/m"), LOCAL).title == "Heading here"


def test_kind_is_sniffed_when_the_type_says_nothing(server: LocalServer) -> None:
    server.reply("/download", make_pdf([["Sniffed PDF."]]), content_type="application/octet-stream")
    server.reply("/page", ARTICLE, content_type=None)
    server.reply("/about-pdf.bin", b"Notes on the %PDF-1.7 header.", content_type="")
    assert fetch_url(server.url("/download"), LOCAL).text == "Sniffed PDF."
    assert "seventy accounts" in fetch_url(server.url("/page"), LOCAL).text
    assert fetch_url(server.url("/about-pdf.bin"), LOCAL).text == "Notes on the %PDF-1.7 header."


def test_declared_charset_is_used(server: LocalServer) -> None:
    body = "<html><body><p>Un café à Genève, très bien.</p></body></html>".encode("cp1252")
    server.reply("/fr.html", body, content_type="text/html; charset=windows-1252")
    server.reply(
        "/fr.txt", "Déjà vu".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
    )
    wide = "Wide text".encode("utf-16-le")
    server.reply("/u16", wide, content_type="text/plain; charset=utf-16le")
    assert "Un café à Genève" in fetch_url(server.url("/fr.html"), LOCAL).text
    assert fetch_url(server.url("/fr.txt"), LOCAL).text == "Déjà vu"
    assert fetch_url(server.url("/u16"), LOCAL).text == "Wide text"  # declared: no BOM needed


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, r"HTTP 404 Not Found"), (500, r"HTTP 500 Internal Server Error"), (403, r"HTTP 403")],
)
def test_http_errors(server: LocalServer, status: int, message: str) -> None:
    server.reply("/x", b"<p>error page with text</p>", status=status)
    with pytest.raises(
        FetchError, match=rf"^http://127\.0\.0\.1:\d+/x: the server answered {message}"
    ):
        fetch_url(server.url("/x"), LOCAL)


def test_unsupported_type_is_refused_before_the_body(server: LocalServer) -> None:
    server.reply("/img", b"\x89PNG" + b"\x00" * 100, content_type="image/png")
    with pytest.raises(FetchError, match=r"unsupported content type image/png"):
        fetch_url(server.url("/img"), LOCAL)


def test_empty_and_articleless_pages(server: LocalServer) -> None:
    server.reply("/empty", b"", content_type="text/html")
    server.reply("/nav", b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(InputError, match=r"/empty: empty"):
        fetch_url(server.url("/empty"), LOCAL)
    with pytest.raises(InputError, match=r"/nav: no article text found"):
        fetch_url(server.url("/nav"), LOCAL)


# --------------------------------------------------------------------------- size and time


def test_declared_length_over_the_limit_is_refused_before_reading(server: LocalServer) -> None:
    server.reply("/huge", b"tiny", headers={"Content-Length": "200000000"})
    started = time.monotonic()
    with pytest.raises(LimitError, match=r"/huge: 200 MB is over the 20 MB limit for one source"):
        fetch_url(server.url("/huge"), LOCAL)
    assert time.monotonic() - started < 5


def test_streamed_body_is_cut_off_at_the_limit(server: LocalServer) -> None:
    server.routes["/endless"] = endless()
    policy = FetchPolicy(allow_private=True, max_bytes=300_000, timeout_s=10)
    with pytest.raises(LimitError, match=r"/endless: the page is over the 300 kB limit"):
        fetch_url(server.url("/endless"), policy)


def test_compressed_bomb_is_cut_off_by_decoded_size(server: LocalServer) -> None:
    server.routes["/bomb"] = deflate_bomb(30_000_000)
    policy = FetchPolicy(allow_private=True, max_bytes=1_000_000, timeout_s=10)
    with pytest.raises(LimitError, match=r"over the 1 MB limit"):
        fetch_url(server.url("/bomb"), policy)


def test_trickling_body_is_bounded_by_the_total_timeout(server: LocalServer) -> None:
    # A byte every 50 ms: no single read ever times out, yet the whole fetch must.
    server.routes["/slow"] = trickle(b"a", 0.05)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"/slow: timed out after 1 s$"):
        fetch_url(server.url("/slow"), FetchPolicy(allow_private=True, timeout_s=1))
    assert 0.9 < time.monotonic() - started < 6  # never before the limit; not minutes


def test_slow_headers_are_bounded_too(server: LocalServer) -> None:
    def stall(handler: Handler) -> None:
        handler.server.local.stop.wait(10)

    server.routes["/stall"] = stall
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
        fetch_url(server.url("/stall"), FetchPolicy(allow_private=True, timeout_s=0.5))
    assert time.monotonic() - started < 5


def test_a_hanging_resolver_counts_against_the_timeout() -> None:
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["127.0.0.1"]

    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
            fetch_url("http://slow-dns.example/", FetchPolicy(resolver=hanging, timeout_s=0.5))
        assert time.monotonic() - started < 5
    finally:
        release.set()


def test_connection_refused(spy: SocketSpy) -> None:
    with serve() as closed:
        port = closed.port  # the server is gone after this block: nothing listens
    with pytest.raises(FetchError, match=r"could not connect to 127\.0\.0\.1"):
        fetch_url(f"http://127.0.0.1:{port}/", LOCAL)


# --------------------------------------------------------------------------- redirects


def chain(server: LocalServer, length: int, final: str = "/article.html") -> str:
    for i in range(length, 0, -1):
        server.redirect(
            f"/hop{i}", f"/hop{i - 1}" if i > 1 else final, status=(301, 302, 303, 307, 308)[i % 5]
        )
    return server.url(f"/hop{length}") if length else server.url(final)


def test_redirects_are_followed_up_to_the_limit(server: LocalServer) -> None:
    doc = fetch_url(chain(server, 5), LOCAL)  # exactly max_redirects hops: allowed
    assert doc.origin == server.url("/article.html")  # the final URL
    assert [r.path for r in server.requests] == [f"/hop{i}" for i in range(5, 0, -1)] + [
        "/article.html"
    ]


def test_one_redirect_too_many(server: LocalServer) -> None:
    with pytest.raises(FetchError, match=r"/hop6: too many redirects \(more than 5\)$"):
        fetch_url(chain(server, 6), LOCAL)
    assert "/article.html" not in [r.path for r in server.requests]


def test_redirect_loop_and_disabled_redirects(server: LocalServer) -> None:
    server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match=r"too many redirects \(more than 2\)"):
        fetch_url(server.url("/loop"), FetchPolicy(allow_private=True, max_redirects=2))
    assert len(server.requests) == 3
    with pytest.raises(FetchError, match=r"too many redirects \(more than 0\)"):
        fetch_url(chain(server, 1), FetchPolicy(allow_private=True, max_redirects=0))


def test_relative_and_absolute_redirects(server: LocalServer) -> None:
    server.redirect("/a/b", "../article.html")
    server.redirect("/abs", server.url("/article.html"))
    assert fetch_url(server.url("/a/b"), LOCAL).origin == server.url("/article.html")
    assert fetch_url(server.url("/abs"), LOCAL).origin == server.url("/article.html")


def test_redirect_without_location(server: LocalServer) -> None:
    server.reply("/nowhere", status=302, content_type=None)
    with pytest.raises(FetchError, match=r"HTTP 302 redirect without a Location header"):
        fetch_url(server.url("/nowhere"), LOCAL)


ONLY_THIS_SERVER = ("127.0.0.1/32",)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://10.0.0.1/x", r"to http://10\.0\.0\.1/x, which points at 10\.0\.0\.1, a private"),
        ("http://169.254.169.254/latest/", r"points at 169\.254\.169\.254, a link-local address"),
        ("http://[::1]/", r"points at ::1, a loopback address"),
        ("http://127.0.0.2/", r"points at 127\.0\.0\.2, a loopback"),  # outside the allow-list
        ("http://2130706434/", r"points at 127\.0\.0\.2, a loopback"),  # decimal trick
        (
            "http://metadata.internal/v1/",
            r"internal/v1/, which has a host name that resolves to 169\.",
        ),
        ("file:///etc/passwd", r"redirected to file:/+etc/passwd, which uses file:"),
        ("http://admin:secret@example.com/", r"which has a user name or password"),
    ],
)
def test_redirects_into_private_space_are_refused_before_connecting(
    server: LocalServer, spy: SocketSpy, location: str, message: str
) -> None:
    server.redirect("/go", location)
    stub = resolver(metadata_internal=["169.254.169.254"])
    policy = FetchPolicy(allowed_networks=ONLY_THIS_SERVER, resolver=stub, timeout_s=5)
    with pytest.raises(FetchError, match=message) as caught:
        fetch_url(server.url("/go"), policy)
    assert str(caught.value).startswith(server.url("/go") + ": redirected to")
    assert "secret" not in str(caught.value)
    assert {address[0] for address in spy.connects} == {"127.0.0.1"}  # only the first hop
    assert [r.path for r in server.requests] == ["/go"]


def test_allowed_networks_lift_the_check_for_those_addresses_only(server: LocalServer) -> None:
    policy = FetchPolicy(allowed_networks=ONLY_THIS_SERVER, timeout_s=5)
    assert fetch_url(server.url("/article.html"), policy).kind == "url"
    with pytest.raises(FetchError, match=r"a loopback address"):
        fetch_url(server.url("/article.html", host="127.0.0.2"), policy)


# --------------------------------------------------------------------------- pinning


def test_dns_answer_is_used_once_and_the_host_header_kept(server: LocalServer) -> None:
    # A rebinding resolver: public-looking first, private after. Only the first answer,
    # which was vetted, is ever used: the client does no lookup of its own.
    stub = StubResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    policy = FetchPolicy(allowed_networks=ONLY_THIS_SERVER, resolver=stub, timeout_s=5)
    doc = fetch_url(f"http://rebind.test:{server.port}/article.html", policy)
    assert "seventy accounts" in doc.text
    assert stub.calls == [("rebind.test", server.port)]
    assert [r.host for r in server.requests] == [f"rebind.test:{server.port}"]
    assert doc.origin == f"http://rebind.test:{server.port}/article.html"


def test_each_redirect_hop_is_resolved_and_checked_again(server: LocalServer) -> None:
    server.redirect("/start", f"http://second.test:{server.port}/article.html")
    stub = StubResolver({"first.test": [["127.0.0.1"]], "second.test": [["127.0.0.1"]]})
    policy = FetchPolicy(allowed_networks=ONLY_THIS_SERVER, resolver=stub, timeout_s=5)
    doc = fetch_url(f"http://first.test:{server.port}/start", policy)
    assert [host for host, _ in stub.calls] == ["first.test", "second.test"]
    assert [r.host for r in server.requests] == [
        f"first.test:{server.port}",
        f"second.test:{server.port}",
    ]
    assert doc.origin == f"http://second.test:{server.port}/article.html"


def test_next_address_is_tried_when_one_refuses(server: LocalServer) -> None:
    with serve() as closed:
        dead_port = closed.port
    # ::1 does not listen on this port (or has no IPv6 at all); 127.0.0.1 does.
    stub = resolver(dual_test=["::1", "127.0.0.1"])
    policy = FetchPolicy(allow_private=True, resolver=stub, timeout_s=5)
    assert fetch_url(f"http://dual.test:{server.port}/article.html", policy).kind == "url"
    with pytest.raises(FetchError, match=r"could not connect to dual\.test"):
        fetch_url(f"http://dual.test:{dead_port}/", policy)


def test_environment_proxies_are_ignored(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would resolve names itself and bypass every check; nothing listens on port 9.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    assert fetch_url(server.url("/article.html"), LOCAL).kind == "url"


@pytest.fixture
def tls_server(tmp_path: Path) -> Callable[[str], Iterator[LocalServer]]:
    def start(cert_name: str) -> Iterator[LocalServer]:
        cert = make_cert(tmp_path, cert_name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert, cert.key)
        with serve(tls=context) as local:
            local.reply("/article.html", ARTICLE)
            yield local

    return start


def client_trusting(tmp_path: Path, name: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tmp_path / f"{name}.pem"))


def test_https_pins_the_address_and_keeps_sni_and_certificate_checks(
    tls_server: Callable[[str], Iterator[LocalServer]], tmp_path: Path
) -> None:
    for local in tls_server("pinned.test"):
        stub = resolver(pinned_test=["127.0.0.1"])
        policy = FetchPolicy(
            allowed_networks=ONLY_THIS_SERVER,
            resolver=stub,
            ssl_context=client_trusting(tmp_path, "pinned.test"),
            timeout_s=5,
        )
        doc = fetch_url(f"https://pinned.test:{local.port}/article.html", policy)
        assert "seventy accounts" in doc.text
        assert local.sni_names == ["pinned.test"]  # SNI names the host, not the address
        assert [r.host for r in local.requests] == [f"pinned.test:{local.port}"]


def test_https_certificate_must_match_the_name_not_the_address(
    tls_server: Callable[[str], Iterator[LocalServer]], tmp_path: Path
) -> None:
    for local in tls_server("other.test"):
        stub = resolver(pinned_test=["127.0.0.1"])
        policy = FetchPolicy(
            allowed_networks=ONLY_THIS_SERVER,
            resolver=stub,
            ssl_context=client_trusting(tmp_path, "other.test"),
            timeout_s=5,
        )
        with pytest.raises(FetchError, match=r"could not connect to pinned\.test .*certificate"):
            fetch_url(f"https://pinned.test:{local.port}/article.html", policy)
        assert local.requests == []


# --------------------------------------------------------------------------- properties


def test_localhost_through_the_system_resolver_is_refused(spy: SocketSpy) -> None:
    with pytest.raises(FetchError, match=r"resolves to (127\.0\.0\.1|::1), a loopback address"):
        fetch_url("http://localhost:8080/", FetchPolicy(timeout_s=5))
    assert spy.connects == []


PART = st.one_of(
    st.integers(0, 2**32 - 1).map(str),
    st.integers(0, 2**32 - 1).map(hex),
    st.integers(0, 2**32 - 1).map(lambda n: "0" + format(n, "o")),
    st.sampled_from(["0", "00", "0x", "0X7f", "08", "1" * 12]),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(parts=st.lists(PART, min_size=1, max_size=5), dot=st.booleans())
def test_numeric_hosts_mean_what_inet_aton_says(parts: list[str], dot: bool) -> None:
    # The C resolver reads these spellings with inet_aton. Whatever it would connect to is
    # what we vet: a differential check of our parser against the system's.
    # One trailing dot is allowed as in URLs ("127.0.0.1." is that address); inet_aton
    # refuses it, so compare with the undotted spelling.
    host = ".".join(parts)
    try:
        expected: str | None = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        expected = None
    try:
        got = _ip_literal(host + ("." if dot else ""), "test")
    except FetchError:
        got = None
    if expected is not None:
        assert str(got) == expected
    else:  # refused by inet_aton: refused here too, except URL parsing's bare "0x" (= 0)
        assert got is None or "0x" in (part.lower() for part in parts)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    address=st.one_of(
        st.ip_addresses(network="127.0.0.0/8"),
        st.ip_addresses(network="10.0.0.0/8"),
        st.ip_addresses(network="172.16.0.0/12"),
        st.ip_addresses(network="192.168.0.0/16"),
        st.ip_addresses(network="169.254.0.0/16"),
        st.ip_addresses(network="100.64.0.0/10"),
        st.ip_addresses(network="fc00::/7"),
        st.ip_addresses(network="fe80::/10"),
        st.ip_addresses(network="::ffff:7f00:0/104"),  # mapped 127.0.0.0/8
        st.ip_addresses(network="::ffff:a9fe:0/112"),  # mapped 169.254.0.0/16
    ),
    spelling=st.sampled_from(["plain", "int", "hex", "mapped"]),
)
def test_any_spelling_of_a_private_address_is_refused(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, spelling: str
) -> None:
    if isinstance(address, ipaddress.IPv6Address):
        host = f"[{address}]"
    elif spelling == "int":
        host = str(int(address))
    elif spelling == "hex":
        host = hex(int(address))
    elif spelling == "mapped":
        host = f"[::ffff:{address}]"
    else:
        host = str(address)
    stub = resolver()
    with pytest.raises(FetchError, match=r"only public addresses are fetched"):
        fetch_url(f"http://{host}/", FetchPolicy(resolver=stub))
    assert stub.calls == []


# --------------------------------------------------------------------------- content encodings


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=9, mtime=0)


def _peak_bytes(work: Callable[[], object]) -> int:
    """Peak Python-heap bytes allocated while `work` runs (the fetch thread included)."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises((LimitError, FetchError)) as caught:
            work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "\n" not in str(caught.value)
    return peak


def test_double_gzip_bomb_is_bounded_while_decoding(server: LocalServer) -> None:
    # 120 MB of zeros, gzipped twice: about 300 bytes on the wire. Decoding a whole layer
    # before checking the size would hold 120 MB at once.
    body = _gzip(_gzip(b"\0" * 120_000_000))
    assert len(body) < 2_000
    server.reply(
        "/bomb2", body, content_type="text/plain", headers={"Content-Encoding": "gzip, gzip"}
    )
    policy = FetchPolicy(allow_private=True, max_bytes=1_000_000, timeout_s=10)
    peak = _peak_bytes(lambda: fetch_url(server.url("/bomb2"), policy))
    assert peak < 12_000_000, f"decoding held {peak:,} bytes at once"


def test_zstd_bodies_are_refused_without_decoding(server: LocalServer) -> None:
    import zstandard

    body = zstandard.ZstdCompressor(level=19).compress(b"\0" * 120_000_000)
    server.reply("/bomb.zst", body, content_type="text/plain", headers={"Content-Encoding": "zstd"})
    policy = FetchPolicy(allow_private=True, max_bytes=1_000_000, timeout_s=10)
    peak = _peak_bytes(lambda: fetch_url(server.url("/bomb.zst"), policy))
    assert peak < 12_000_000, f"decoding held {peak:,} bytes at once"
    with pytest.raises(
        FetchError, match=r"/bomb\.zst: the server sent it with Content-Encoding zstd"
    ):
        fetch_url(server.url("/bomb.zst"), policy)


def test_honest_gzip_layers_are_decoded(server: LocalServer) -> None:
    text = b"Layered notes about the campaign."
    server.reply(
        "/g1", _gzip(text), content_type="text/plain", headers={"Content-Encoding": "gzip"}
    )
    server.reply(
        "/g2",
        _gzip(_gzip(text)),
        content_type="text/plain",
        headers={"Content-Encoding": "gzip, x-gzip"},
    )
    server.reply(
        "/d",
        zlib.compress(text),
        content_type="text/plain",
        headers={"Content-Encoding": "deflate"},
    )
    for path in ("/g1", "/g2", "/d"):
        assert fetch_url(server.url(path), LOCAL).text == text.decode()


def test_too_many_or_corrupt_layers_are_one_line_errors(server: LocalServer) -> None:
    text = b"x" * 100
    server.reply(
        "/g4",
        _gzip(_gzip(_gzip(_gzip(text)))),
        content_type="text/plain",
        headers={"Content-Encoding": "gzip, gzip, gzip, gzip"},
    )
    server.reply(
        "/bad", b"not gzip at all", content_type="text/plain", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError, match=r"/g4: .*4 layers of Content-Encoding"):
        fetch_url(server.url("/g4"), LOCAL)
    with pytest.raises(FetchError, match=r"/bad: the server's gzip data is corrupt"):
        fetch_url(server.url("/bad"), LOCAL)
