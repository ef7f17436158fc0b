"""Helpers for the corpus tests: tiny PDFs built in memory, a local HTTP(S) server, a socket spy.

A plain module (not a conftest.py) so that `mypy .` sees one conftest only.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import socket
import ssl
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------- PDFs


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def make_pdf(
    pages: list[list[str]],
    *,
    title: str | None = None,
    compress: bool = False,
    raw_streams: list[bytes] | None = None,
) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, one page per list.

    `raw_streams` replaces the generated page content streams (for image-only or bomb pages).
    """
    streams = raw_streams or [
        b"BT /F1 12 Tf 14 TL 72 720 Td "
        + b" ".join(_pdf_string(line) + b" Tj T*" for line in lines)
        + b" ET"
        for lines in pages
    ]
    objects: list[bytes] = []  # object n is objects[n - 1]
    font = 3
    first_page = 4
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(streams)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(streams)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, stream in enumerate(streams):
        page_obj = first_page + 2 * index
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_obj + 1} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        body = zlib.compress(stream) if compress else stream
        filters = b" /Filter /FlateDecode" if compress else b""
        objects.append(
            b"<< /Length %d%s >>\nstream\n" % (len(body), filters) + body + b"\nendstream"
        )
    info_ref = b""
    if title is not None:
        objects.append(b"<< /Title " + _pdf_string(title) + b" >>")
        info_ref = b" /Info %d 0 R" % len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, info_ref, xref)
    )
    return out.getvalue()


def encrypt_pdf(data: bytes, *, user_password: str, algorithm: str = "RC4-128") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- HTTP server

Responder = Callable[["Handler"], None]


@dataclass
class Seen:
    path: str
    host: str | None


@dataclass
class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with routes set per test."""

    tls: ssl.SSLContext | None = None
    routes: dict[str, Responder] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    sni_names: list[str | None] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def reply(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        def respond(handler: Handler) -> None:
            handler.send_response(status)
            if content_type is not None:
                handler.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            if "Content-Length" not in (headers or {}):
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = respond

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.reply(path, status=status, content_type=None, headers={"Location": location})


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        local = self.server.local
        local.requests.append(Seen(self.path, self.headers.get("Host")))
        respond = local.routes.get(self.path)
        if respond is None:
            self.send_error(404, "Not Found")
            return
        # The client giving up mid-body is what several tests intend.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            respond(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    local: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (timeout and size tests) are expected here


@contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    local = LocalServer(tls=tls)
    server = _Server(("127.0.0.1", 0), Handler)
    server.local = local
    if tls is not None:

        def remember(_sock: Any, name: str | None, _ctx: Any) -> None:
            local.sni_names.append(name)

        tls.sni_callback = remember
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    local.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    try:
        yield local
    finally:
        local.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def trickle(chunk: bytes, every_s: float, *, content_type: str = "text/plain") -> Responder:
    """A body sent a few bytes at a time, forever (until the client leaves or the test ends)."""

    def respond(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.end_headers()
        while not handler.server.local.stop.wait(every_s):
            handler.wfile.write(chunk)
            handler.wfile.flush()

    return respond


def endless(content_type: str = "text/plain") -> Responder:
    """A close-delimited body with no Content-Length that never ends on its own."""

    def respond(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        while not handler.server.local.stop.is_set():
            handler.wfile.write(b"a" * 65536)

    return respond


def deflate_bomb(inflated_size: int) -> Responder:
    """A small deflate-compressed body that inflates to `inflated_size` bytes, sent even
    though the client asked for identity encoding."""
    body = zlib.compress(b"a" * inflated_size, 9)

    def respond(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Encoding", "deflate")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


# --------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class TestCert:
    cert: Path
    key: Path


def make_cert(directory: Path, hostname: str) -> TestCert:
    """A self-signed certificate for `hostname` (openssl CLI); skips the test without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / f"{hostname}.pem", directory / f"{hostname}.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", f"/CN={hostname}",
            "-addext", f"subjectAltName=DNS:{hostname}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return TestCert(cert, key)


# --------------------------------------------------------------------------- sockets


@dataclass
class SocketSpy:
    """Every address a socket tried to connect to while the spy was installed."""

    connects: list[Any] = field(default_factory=list)


def spy_on_sockets(monkeypatch: pytest.MonkeyPatch) -> SocketSpy:
    """Record connect() calls, on top of the conftest guard (which still applies)."""
    spy = SocketSpy()
    guarded_connect = socket.socket.connect
    guarded_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        spy.connects.append(address)
        guarded_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        spy.connects.append(address)
        return guarded_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return spy
