"""Fetch an http(s) URL as a `SourceDocument`, safe against server-side request forgery.

How a fetch stays on public addresses:

1. The URL is parsed and refused early for another scheme, credentials, a bad port or a
   malformed host. A host ending in a number is an IPv4 address in the loose spellings that
   browsers and inet_aton accept (2130706433, 0x7f.1, 127.1 are all 127.0.0.1), decoded here
   and never handed to a resolver (httpx already rejects some, such as 0177.0.0.1).
2. A host name is resolved once (the policy's resolver, else getaddrinfo) and EVERY address is
   checked; one loopback, private, link-local, CGNAT, multicast, reserved or otherwise
   non-public address refuses the URL before any connection is made. IPv6 forms that embed
   an IPv4 address (::ffff:a.b.c.d, 64:ff9b::/96, 2002::/16) are judged by that address.
3. The connection goes to the vetted address itself (the request URL carries the IP), so a
   second DNS answer cannot swap it (DNS rebinding). The Host header keeps the real name, and
   for https the TLS SNI and certificate check use the real name through httpx's documented
   `sni_hostname` request extension. Each hop gets a fresh client, so a TLS connection
   verified for one name is never reused for another.
4. Redirects are followed here, not by httpx: each Location goes through steps 1-3 again.
5. Environment proxies and .netrc are ignored (trust_env=False): a proxy would do its own DNS.

Time: the whole fetch (resolution, connection, redirects, body) runs in a worker thread that
the caller waits on for at most `timeout_s`, so a server trickling one byte a second, or a
resolver that hangs, cannot hold the caller longer. The worker's own socket timeouts are the
remaining time, so it ends soon after.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final, TypeVar
from urllib.parse import unquote

import httpx

from common.errors import FetchError, LimitError
from corpus.reporting.documents import SourceDocument, clean_label
from corpus.reporting.load import document_from_bytes, format_bytes, kind_for_name
from corpus.web.policy import FetchPolicy

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")

MAX_URL_CHARS: Final = 4096
USER_AGENT: Final = "Chorus/0.1 (reporting fetcher)"
_HEADERS: Final = {
    "User-Agent": USER_AGENT,
    "Accept": (
        "text/html,application/xhtml+xml,application/pdf,text/plain,text/markdown;q=0.9,*/*;q=0.5"
    ),
    # Uncompressed bodies: the byte limit then counts what the server sends, and a gzip bomb
    # has nothing to inflate. A server that compresses anyway is decoded here, one layer at a
    # time, each bounded while it inflates (see _Inflater); other encodings are refused.
    "Accept-Encoding": "identity",
}
# Content-Encoding layers decoded (zlib, bounded); zstd, br and the rest are refused unread.
_ZLIB_ENCODINGS: Final = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}
MAX_ENCODING_LAYERS: Final = 2
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_LIKE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+://")
_NUMERIC_LABEL: Final = re.compile(r"0[xX][0-9A-Fa-f]*|[0-9]+")
_HOST_NAME: Final = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")

# Ranges refused besides what the ipaddress flags cover, so the list does not depend on the
# Python patch release (is_private/is_global tables changed within 3.11 and 3.12).
_SPECIAL_NETWORKS: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "::/96",  # deprecated IPv4-compatible addresses (::127.0.0.1)
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fec0::/10",
    )
)
_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")

_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_PDF_TYPES: Final = frozenset({"application/pdf", "application/x-pdf"})
_MARKDOWN_TYPES: Final = frozenset({"text/markdown", "text/x-markdown"})
_TEXT_TYPES: Final = frozenset({"application/json", "application/xml"})
_SNIFF_TYPES: Final = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def is_url(text: str) -> bool:
    """True for anything written as "scheme://…" (two or more letters, so not C:\\).

    Deliberately broad: "ftp://x" is a URL that `fetch_url` then refuses with a clear reason,
    rather than a file path that "does not exist".
    """
    return bool(_URL_LIKE.match(text.strip()))


def system_resolver(host: str, port: int) -> list[str]:
    """Every address getaddrinfo gives for host, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def fetch_url(url: str, policy: FetchPolicy, *, title: str | None = None) -> SourceDocument:
    """Fetch `url` under `policy` and extract its text (HTML, PDF or plain text by type).

    FetchError for refusals, timeouts, HTTP errors and connection failures; LimitError for
    bodies over `policy.max_bytes`; InputError when the content has no usable text. The
    document's origin is the final URL after redirects; its kind is "url".
    """
    deadline = time.monotonic() + policy.timeout_s
    shown = _shown(url)
    start = _parse(url.strip(), shown=shown, via=None)
    cancel = threading.Event()
    fetched = _run_with_deadline(
        lambda: _fetch(start, policy, deadline, cancel, shown),
        deadline=deadline,
        cancel=cancel,
        on_timeout=lambda: FetchError(f"{shown}: timed out after {policy.timeout_s:g} s"),
    )
    return document_from_bytes(
        fetched.body,
        kind=fetched.kind,
        name=shown,
        origin=fetched.url,
        max_bytes=policy.max_bytes,
        title=title,
        fallback_title=_url_title(fetched.url),
        charset=fetched.charset,
        result_kind="url",
    )


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Target:
    url: httpx.URL  # the real URL: Host header, SNI, joins for relative redirects
    text: str  # for messages and the document's origin
    host: str  # ASCII (IDNA) host without brackets
    port: int
    literal: IPAddress | None  # the host is an address (in any spelling): no resolution


@dataclass(frozen=True)
class _Fetched:
    body: bytes
    kind: str
    charset: str | None
    url: str


def _shown(url: str) -> str:
    """A URL for messages: one line, clipped, and never with a password in it."""
    return clean_label(re.sub(r"(?<=://)[^/?#@]*@", "***@", url.strip()), limit=200)


def _parse(raw: str, *, shown: str, via: str | None) -> _Target:
    where = f"{shown}: redirected to {_shown(raw)}, which" if via else f"{shown}:"
    if len(raw) > MAX_URL_CHARS:
        raise FetchError(f"{where} is too long (over {MAX_URL_CHARS} characters)")
    scheme = _SCHEME.match(raw)
    if scheme is None:
        raise FetchError(f"{where} is not a URL (it should start with https://)")
    if scheme.group(1).lower() not in ("http", "https"):
        raise FetchError(
            f"{where} uses {scheme.group(1).lower()}:, "
            "but only http:// and https:// URLs are fetched"
        )
    try:
        url = httpx.URL(raw)
        host = url.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError(f"{where} is not a valid URL ({_reason(exc)})") from None
    if url.userinfo:
        raise FetchError(
            f"{where} has a user name or password in it; URLs with credentials are not fetched"
        )
    if not host:
        raise FetchError(f"{where} has no host name")
    port = url.port or (443 if url.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise FetchError(f"{where} has an invalid port {port}")
    literal = _ip_literal(host, where)
    if literal is None and (len(host) > 253 or not _HOST_NAME.match(host)):
        raise FetchError(f"{where} has an invalid host name")
    text = str(url.copy_with(fragment=None)) if via else raw
    return _Target(url=url, text=text, host=host, port=port, literal=literal)


def _ip_literal(host: str, where: str) -> IPAddress | None:
    """The address a numeric host means, in the spellings URL parsers and inet_aton accept."""
    candidate = unquote(host)  # "%25" before an IPv6 zone id
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    labels = candidate.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # "127.0.0.1." is still that address
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    # Ends in a number: WHATWG URL parsing says it is an IPv4 address or invalid, never a name.
    value = _loose_ipv4(labels)
    if value is None:
        raise FetchError(f"{where} has a host that is not a valid IP address ({clean_label(host)})")
    return ipaddress.IPv4Address(value)


def _loose_ipv4(labels: list[str]) -> int | None:
    """inet_aton rules: 1-4 parts, each decimal, 0-prefixed octal or 0x hex; the last part
    fills the remaining bytes (127.1 is 127.0.0.1; 2130706433 is 127.0.0.1)."""
    if not 1 <= len(labels) <= 4:
        return None
    numbers: list[int] = []
    for label in labels:
        try:
            if label[:2].lower() == "0x":
                numbers.append(int(label[2:] or "0", 16))
            elif len(label) > 1 and label.startswith("0"):
                numbers.append(int(label[1:], 8))
            else:
                numbers.append(int(label, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return value


# --------------------------------------------------------------------------- addresses


def _blocked_reason(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return _blocked_reason(embedded)
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip in _CGNAT, "shared (carrier-grade NAT)"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "site-local"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (any(ip in network for network in _SPECIAL_NETWORKS), "special-purpose"),
        (not ip.is_global, "non-public"),
    )
    return next((label for hit, label in checks if hit), None)


def _check_address(ip: IPAddress, policy: FetchPolicy) -> str | None:
    if policy.allow_private:
        return None
    if any(ip in ipaddress.ip_network(n, strict=False) for n in policy.allowed_networks):
        return None
    return _blocked_reason(ip)


def _vet(target: _Target, policy: FetchPolicy, shown: str, via: str | None) -> list[IPAddress]:
    """The addresses to connect to, all checked; FetchError before any connection otherwise."""
    where = f"{shown}: redirected to {_shown(target.text)}, which" if via else f"{shown}:"
    if target.literal is not None:
        reason = _check_address(target.literal, policy)
        if reason:
            raise FetchError(
                f"{where} points at {target.literal}, a {reason} address; "
                "refused (only public addresses are fetched)"
            )
        return [target.literal]
    resolver = policy.resolver or system_resolver
    try:
        answers = resolver(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise FetchError(
            f"{where} has a host name that cannot be resolved ({_reason(exc)})"
        ) from None
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer))
        except ValueError:
            raise FetchError(
                f"{where} resolved to {clean_label(str(answer))!r}, not an address"
            ) from None
    if not addresses:
        raise FetchError(f"{where} has a host name that resolves to no address")
    for ip in addresses:  # every one: a client may connect to any of them
        reason = _check_address(ip, policy)
        if reason:
            raise FetchError(
                f"{where} has a host name that resolves to {ip}, a {reason} address; "
                "refused (only public addresses are fetched)"
            )
    return list(dict.fromkeys(addresses))


# --------------------------------------------------------------------------- fetching


def _run_with_deadline(
    work: Callable[[], T],
    *,
    deadline: float,
    cancel: threading.Event,
    on_timeout: Callable[[], Exception],
) -> T:
    """Run `work` in a daemon thread; give up at `deadline` whatever it is blocked on."""
    values: list[T] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            values.append(work())
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="chorus-fetch", daemon=True).start()
    if not done.wait(max(0.0, deadline - time.monotonic())):
        cancel.set()  # the worker stops at its next check; its sockets time out by then
        raise on_timeout()
    if errors:
        raise errors[0]
    return values[0]


def _fetch(
    start: _Target,
    policy: FetchPolicy,
    deadline: float,
    cancel: threading.Event,
    shown: str,
    *,
    kinds: _Kinds | None = None,
) -> _Fetched:
    target = start
    via: str | None = None
    for _hop in range(policy.max_redirects + 1):
        addresses = _vet(target, policy, shown, via)
        client, response = _connect(target, addresses, policy, deadline, shown)
        try:
            status = response.status_code
            if status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{shown}: HTTP {status} redirect without a Location header")
                try:
                    following = str(target.url.join(location.strip()))
                except (httpx.InvalidURL, UnicodeError) as exc:
                    raise FetchError(
                        f"{shown}: redirected to an invalid URL ({_reason(exc)})"
                    ) from None
                logger.debug("%s redirects (%d) to %s", target.text, status, following)
                via = target.text
                target = _parse(following, shown=shown, via=via)
                continue
            if not 200 <= status < 300:
                phrase = clean_label(response.reason_phrase, limit=60)
                raise FetchError(f"{shown}: the server answered HTTP {status} {phrase}".rstrip())
            return _read(
                target=target,
                response=response,
                policy=policy,
                deadline=deadline,
                cancel=cancel,
                shown=shown,
                kinds=kinds or _DOCUMENT_KINDS,
            )
        except httpx.TimeoutException:
            raise FetchError(f"{shown}: timed out after {policy.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{shown}: the connection failed ({_reason(exc)})") from None
        finally:
            response.close()
            client.close()
    raise FetchError(f"{shown}: too many redirects (more than {policy.max_redirects})")


def _connect(
    target: _Target,
    addresses: list[IPAddress],
    policy: FetchPolicy,
    deadline: float,
    shown: str,
) -> tuple[httpx.Client, httpx.Response]:
    """Send the GET to the first vetted address that accepts a connection."""
    host_header = target.url.netloc.decode("ascii")
    # SNI carries names only; for an address literal the certificate is checked against it.
    extensions = {} if target.literal is not None else {"sni_hostname": target.host}
    failure: Exception | None = None
    for ip in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        client = httpx.Client(
            verify=policy.ssl_context if policy.ssl_context is not None else True,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(remaining),
            headers=_HEADERS,
        )
        try:
            request = client.build_request(
                "GET",
                target.url.copy_with(host=str(ip), fragment=None),
                headers={"Host": host_header},
                extensions=extensions,
            )
            return client, client.send(request, stream=True)
        except httpx.ConnectError as exc:  # try the next address
            client.close()
            failure = exc
        except httpx.TimeoutException:
            client.close()
            raise FetchError(f"{shown}: timed out after {policy.timeout_s:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            client.close()
            raise FetchError(f"{shown}: the connection failed ({_reason(exc)})") from None
    if failure is None:
        raise FetchError(f"{shown}: timed out after {policy.timeout_s:g} s")
    raise FetchError(f"{shown}: could not connect to {target.host} ({_reason(failure)})")


def _read(
    *,
    target: _Target,
    response: httpx.Response,
    policy: FetchPolicy,
    deadline: float,
    cancel: threading.Event,
    shown: str,
    kinds: _Kinds,
) -> _Fetched:
    mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
    kind = kinds.classify(mime)
    if kind == "unsupported":  # refused before downloading the body
        raise FetchError(
            f"{shown}: unsupported content type {clean_label(mime, limit=80)}; "
            f"{kinds.supported} supported"
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise LimitError(
            f"{shown}: {format_bytes(int(declared))} is over the "
            f"{format_bytes(policy.max_bytes)} limit for one source"
        )
    layers = _inflaters(response.headers.get("content-encoding", ""), policy, shown)
    body = bytearray()
    # Raw bytes, decoded here: httpx would inflate each network chunk whole, so 2 kB of
    # "gzip, gzip" could become gigabytes before any size check.
    for raw in response.iter_raw():
        chunk = raw
        for layer in layers:
            chunk = layer.feed(chunk)
        body += chunk
        if len(body) > policy.max_bytes or len(raw) > policy.max_bytes:
            raise LimitError(
                f"{shown}: the page is over the {format_bytes(policy.max_bytes)} limit "
                "for one source"
            )
        if cancel.is_set() or time.monotonic() > deadline:
            raise FetchError(f"{shown}: timed out after {policy.timeout_s:g} s")
    tail = b""
    for layer in layers:
        tail = layer.feed(tail, final=True)
    body += tail
    if len(body) > policy.max_bytes:
        raise LimitError(
            f"{shown}: the page is over the {format_bytes(policy.max_bytes)} limit for one source"
        )
    data = bytes(body)
    return _Fetched(
        body=data,
        kind=kind or _sniff(data, target.url.path),
        charset=response.charset_encoding,
        url=target.text,
    )


class _Inflater:
    """One gzip or deflate layer whose output never exceeds the source byte limit.

    zlib's max_length stops inflating at limit + 1 bytes, so a bomb costs at most the limit
    in memory, per layer, however small its input.
    """

    def __init__(self, name: str, limit: int, shown: str) -> None:
        self.name, self.limit, self.shown = name, limit, shown
        self.produced = 0
        self.raw_fallback = name == "deflate"  # "deflate" is zlib-wrapped or, wrongly, raw
        wbits = _ZLIB_ENCODINGS[name] or zlib.MAX_WBITS
        self.inflater = zlib.decompressobj(wbits)

    def feed(self, data: bytes, *, final: bool = False) -> bytes:
        left = self.limit - self.produced
        try:
            try:
                out = self.inflater.decompress(data, left + 1) if data else b""
            except zlib.error:
                if not (self.raw_fallback and self.produced == 0):
                    raise
                self.raw_fallback = False
                self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self.inflater.decompress(data, left + 1)
            if final and len(out) <= left:
                out += self.inflater.flush()
        except zlib.error:
            raise FetchError(f"{self.shown}: the server's {self.name} data is corrupt") from None
        self.produced += len(out)
        if self.produced > self.limit:
            raise LimitError(
                f"{self.shown}: the page is over the {format_bytes(self.limit)} limit "
                f"for one source (once its {self.name} encoding is undone)"
            )
        return out


def _inflaters(header: str, policy: FetchPolicy, shown: str) -> list[_Inflater]:
    """Decoders for a Content-Encoding header, in decoding order (the last applied first)."""
    names = [n.strip().lower() for n in header.split(",")]
    names = [n for n in names if n and n != "identity"]
    for name in names:
        if name not in _ZLIB_ENCODINGS:
            raise FetchError(
                f"{shown}: the server sent it with Content-Encoding {clean_label(name, limit=40)}, "
                "which Chorus does not decode (it asks for uncompressed pages)"
            )
    if len(names) > MAX_ENCODING_LAYERS:
        raise FetchError(
            f"{shown}: the server sent {len(names)} layers of Content-Encoding; "
            f"at most {MAX_ENCODING_LAYERS} are decoded"
        )
    return [_Inflater(name, policy.max_bytes, shown) for name in reversed(names)]


@dataclass(frozen=True)
class _Kinds:
    """Which media types a fetch accepts: classify(mime) gives a kind, None (decide from
    the bytes) or "unsupported" (refused before the body is read)."""

    classify: Callable[[str], str | None]
    supported: str  # for the refusal message


def _image_kind(mime: str) -> str | None:
    if mime.startswith("image/"):
        return "image"
    return None if mime in _SNIFF_TYPES else "unsupported"


def fetch_bytes(url: str, policy: FetchPolicy) -> FetchedImage:
    """Fetch an image URL's bytes under `policy` (same address, redirect, size and time
    checks as `fetch_url`). A response that is not image/* (or an untyped body) is refused
    before its body is read: FetchError; over `policy.max_bytes`: LimitError."""
    deadline = time.monotonic() + policy.timeout_s
    shown = _shown(url)
    start = _parse(url.strip(), shown=shown, via=None)
    cancel = threading.Event()
    fetched = _run_with_deadline(
        lambda: _fetch(start, policy, deadline, cancel, shown, kinds=_IMAGE_KINDS),
        deadline=deadline,
        cancel=cancel,
        on_timeout=lambda: FetchError(f"{shown}: timed out after {policy.timeout_s:g} s"),
    )
    return FetchedImage(body=fetched.body, url=fetched.url)


@dataclass(frozen=True)
class FetchedImage:
    body: bytes
    url: str  # after redirects


def _kind_for_type(mime: str) -> str | None:
    """Document kind for a media type; None: decide from the bytes; "unsupported": refuse."""
    if mime in _HTML_TYPES:
        return "html"
    if mime in _PDF_TYPES:
        return "pdf"
    if mime in _MARKDOWN_TYPES:
        return "markdown"
    if mime.startswith("text/") or mime in _TEXT_TYPES:
        return "text"
    if mime in _SNIFF_TYPES:
        return None
    return "unsupported"


_DOCUMENT_KINDS: Final = _Kinds(_kind_for_type, "HTML, PDF and plain text are")
_IMAGE_KINDS: Final = _Kinds(_image_kind, "only images are")


def _sniff(data: bytes, path: str) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    lowered = head.lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    return kind_for_name(path) or "text"


def _url_title(url: str) -> str:
    """A fallback title: the last path segment without its suffix, else the host."""
    parsed = httpx.URL(url)
    segment = unquote(parsed.path.rstrip("/").rsplit("/", 1)[-1])
    return PurePosixPath(segment).stem or parsed.host or url


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"
