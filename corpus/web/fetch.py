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

import threading
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final
from urllib.parse import unquote

import httpx

from common.deadline import run_with_deadline
from common.errors import FetchError
from corpus.reporting.documents import SourceDocument
from corpus.reporting.load import document_from_bytes, kind_for_name
from corpus.web.addresses import is_url, parse_url, shown_url, system_resolver
from corpus.web.http import Kinds, fetch_hops
from corpus.web.policy import FetchPolicy

__all__ = ["FetchedImage", "fetch_bytes", "fetch_url", "is_url", "system_resolver"]

_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_PDF_TYPES: Final = frozenset({"application/pdf", "application/x-pdf"})
_MARKDOWN_TYPES: Final = frozenset({"text/markdown", "text/x-markdown"})
_TEXT_TYPES: Final = frozenset({"application/json", "application/xml"})
_SNIFF_TYPES: Final = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def fetch_url(url: str, policy: FetchPolicy, *, title: str | None = None) -> SourceDocument:
    """Fetch `url` under `policy` and extract its text (HTML, PDF or plain text by type).

    FetchError for refusals, timeouts, HTTP errors and connection failures; LimitError for
    bodies over `policy.max_bytes`; InputError when the content has no usable text. The
    document's origin is the final URL after redirects; its kind is "url".
    """
    deadline = time.monotonic() + policy.timeout_s
    shown = shown_url(url)
    start = parse_url(url.strip(), shown=shown, via=None)
    cancel = threading.Event()
    fetched = run_with_deadline(
        lambda: fetch_hops(start, policy, deadline, cancel, shown, kinds=_DOCUMENT_KINDS),
        limit_s=deadline - time.monotonic(),
        on_timeout=lambda: FetchError(f"{shown}: timed out after {policy.timeout_s:g} s"),
        cancel=cancel,
        name="chorus-fetch",
    )
    return document_from_bytes(
        fetched.body,
        kind=fetched.kind or _sniff(fetched.body, fetched.path),
        name=shown,
        origin=fetched.url,
        max_bytes=policy.max_bytes,
        title=title,
        fallback_title=_url_title(fetched.url),
        charset=fetched.charset,
        result_kind="url",
    )


def fetch_bytes(url: str, policy: FetchPolicy) -> FetchedImage:
    """Fetch an image URL's bytes under `policy` (same address, redirect, size and time
    checks as `fetch_url`). A response that is not image/* (or an untyped body) is refused
    before its body is read: FetchError; over `policy.max_bytes`: LimitError."""
    deadline = time.monotonic() + policy.timeout_s
    shown = shown_url(url)
    start = parse_url(url.strip(), shown=shown, via=None)
    cancel = threading.Event()
    fetched = run_with_deadline(
        lambda: fetch_hops(start, policy, deadline, cancel, shown, kinds=_IMAGE_KINDS),
        limit_s=deadline - time.monotonic(),
        on_timeout=lambda: FetchError(f"{shown}: timed out after {policy.timeout_s:g} s"),
        cancel=cancel,
        name="chorus-fetch",
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


def _image_kind(mime: str) -> str | None:
    if mime.startswith("image/"):
        return "image"
    return None if mime in _SNIFF_TYPES else "unsupported"


_DOCUMENT_KINDS: Final = Kinds(_kind_for_type, "HTML, PDF and plain text are")
_IMAGE_KINDS: Final = Kinds(_image_kind, "only images are")


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
