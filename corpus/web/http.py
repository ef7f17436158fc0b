"""The hops of one fetch (steps 3 to 5 of corpus/web/fetch.py's docstring): connect to a
vetted address with the real name in Host and SNI, follow redirects here, and read the body
bounded, undoing at most two gzip/deflate layers, each bounded while it inflates."""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx

from common.errors import FetchError, LimitError
from common.wording import format_bytes
from corpus.reporting.documents import clean_label
from corpus.web.addresses import IPAddress, Target, error_reason, parse_url, vet
from corpus.web.policy import FetchPolicy

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Fetched:
    body: bytes
    kind: str | None  # None: the type said nothing; the caller decides from the bytes
    charset: str | None
    url: str  # after redirects
    path: str  # its path, for a kind from the file name


@dataclass(frozen=True)
class Kinds:
    """Which media types a fetch accepts: classify(mime) gives a kind, None (decide from
    the bytes) or "unsupported" (refused before the body is read)."""

    classify: Callable[[str], str | None]
    supported: str  # for the refusal message


def fetch_hops(
    start: Target,
    policy: FetchPolicy,
    deadline: float,
    cancel: threading.Event,
    shown: str,
    *,
    kinds: Kinds,
) -> Fetched:
    target = start
    via: str | None = None
    for _hop in range(policy.max_redirects + 1):
        addresses = vet(target, policy, shown, via)
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
                        f"{shown}: redirected to an invalid URL ({error_reason(exc)})"
                    ) from None
                logger.debug("%s redirects (%d) to %s", target.text, status, following)
                via = target.text
                target = parse_url(following, shown=shown, via=via)
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
                kinds=kinds,
            )
        except httpx.TimeoutException:
            raise FetchError(f"{shown}: timed out after {policy.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{shown}: the connection failed ({error_reason(exc)})") from None
        finally:
            response.close()
            client.close()
    raise FetchError(f"{shown}: too many redirects (more than {policy.max_redirects})")


def _connect(
    target: Target,
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
            raise FetchError(f"{shown}: the connection failed ({error_reason(exc)})") from None
    if failure is None:
        raise FetchError(f"{shown}: timed out after {policy.timeout_s:g} s")
    raise FetchError(f"{shown}: could not connect to {target.host} ({error_reason(failure)})")


def _read(
    *,
    target: Target,
    response: httpx.Response,
    policy: FetchPolicy,
    deadline: float,
    cancel: threading.Event,
    shown: str,
    kinds: Kinds,
) -> Fetched:
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
    return Fetched(
        body=data,
        kind=kind,
        charset=response.charset_encoding,
        url=target.text,
        path=target.url.path,
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
