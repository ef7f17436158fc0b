"""Which URLs and addresses a fetch may reach (steps 1 and 2 of corpus/web/fetch.py's
docstring): URL parsing with every loose IPv4 spelling decoded, and the check of every
address a host name resolves to."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

import httpx

from common.errors import FetchError
from corpus.reporting.documents import clean_label
from corpus.web.policy import FetchPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_CHARS: Final = 4096
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


@dataclass(frozen=True)
class Target:
    url: httpx.URL  # the real URL: Host header, SNI, joins for relative redirects
    text: str  # for messages and the document's origin
    host: str  # ASCII (IDNA) host without brackets
    port: int
    literal: IPAddress | None  # the host is an address (in any spelling): no resolution


def shown_url(url: str) -> str:
    """A URL for messages: one line, clipped, and never with a password in it."""
    return clean_label(re.sub(r"(?<=://)[^/?#@]*@", "***@", url.strip()), limit=200)


def parse_url(raw: str, *, shown: str, via: str | None) -> Target:
    where = f"{shown}: redirected to {shown_url(raw)}, which" if via else f"{shown}:"
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
        raise FetchError(f"{where} is not a valid URL ({error_reason(exc)})") from None
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
    return Target(url=url, text=text, host=host, port=port, literal=literal)


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


def vet(target: Target, policy: FetchPolicy, shown: str, via: str | None) -> list[IPAddress]:
    """The addresses to connect to, all checked; FetchError before any connection otherwise."""
    where = f"{shown}: redirected to {shown_url(target.text)}, which" if via else f"{shown}:"
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
            f"{where} has a host name that cannot be resolved ({error_reason(exc)})"
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


def error_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"
