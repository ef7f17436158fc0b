"""What a fetch may reach and how much it may take, apart from the fetcher itself: settings
and the image loader build a policy without importing httpx and the document parsers
(corpus.web.fetch), which `chorus analyze` never needs for a dataset without image URLs."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from dataclasses import dataclass

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchPolicy:
    """What a fetch may reach and how much it may take.

    allow_private:    lift the address check (intranet use); scheme, size and time limits stay
    timeout_s:        the whole fetch, resolution and slow bodies included
    max_bytes:        largest body (Content-Length and bytes actually received)
    max_redirects:    redirects followed; each hop is checked again
    resolver:         (host, port) -> IP strings; None: socket.getaddrinfo. Tests stub it.
    allowed_networks: CIDRs exempt from the address check ("10.1.2.0/24" for one intranet
                      wiki), narrower than allow_private
    ssl_context:      TLS trust; None: httpx's default (certifi). Tests pass one for a test CA.
    """

    allow_private: bool = False
    timeout_s: float = 15.0
    max_bytes: int = 20_000_000
    max_redirects: int = 5
    resolver: Resolver | None = None
    allowed_networks: tuple[str, ...] = ()
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError("FetchPolicy.timeout_s must be positive")
        if self.max_bytes < 1:
            raise ValueError("FetchPolicy.max_bytes must be at least 1")
        if self.max_redirects < 0:
            raise ValueError("FetchPolicy.max_redirects must not be negative")
        for network in self.allowed_networks:
            ipaddress.ip_network(network, strict=False)  # ValueError on a typo, at start-up
