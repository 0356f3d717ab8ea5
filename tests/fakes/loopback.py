"""The plumbing shared by the fake servers: a threaded loopback HTTP/1.1 server that can stream.

Each fake subclasses `LoopbackServer` and implements `route()`. Streaming bodies use chunked
transfer encoding, written straight to the socket (no buffering, TCP_NODELAY), so a client sees
every chunk as soon as it is written; `cut()` closes the socket mid-body like a crashed server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class ClientGone(Exception):
    """The client closed the connection while the server was still writing."""


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (a port just bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Exchange(BaseHTTPRequestHandler):
    """One request/response on a connection, with helpers for JSON and chunked bodies."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Small writes must leave at once, or Nagle's algorithm batches "tokens" together.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests and the CLI read stdout."""

    def do_GET(self) -> None:
        self.server.owner._dispatch(self, "GET")

    def do_POST(self) -> None:
        self.server.owner._dispatch(self, "POST")

    def send_json(
        self, status: int, payload: object, headers: dict[str, str] | None = None
    ) -> None:
        """Send a complete JSON response with a Content-Length."""
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(body)

    def begin_chunked(self, content_type: str, headers: dict[str, str] | None = None) -> None:
        """Send a 200 status and headers for a body of unknown length."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        """Write one chunk of a chunked body; raises `ClientGone` if the client left."""
        if data:
            self._write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunked(self) -> None:
        """Write the last-chunk marker: the body is complete."""
        self._write(b"0\r\n\r\n")

    def cut(self) -> None:
        """Close the socket mid-body, as a crashed server or dropped network would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as exc:
            self.close_connection = True
            raise ClientGone from exc


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping its connection (cancelled stream, test over) is routine, not news.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class LoopbackServer:
    """A fake HTTP server on 127.0.0.1 in a background thread; subclasses implement `route()`."""

    label: ClassVar[str] = "fake"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.tokens_per_s: float | None = None
        """Chunks per second when streaming; None streams at full speed."""
        self.streams_started = 0
        self.streams_finished = 0
        """Streams that were written to the end (including scripted cuts and errors)."""
        self.streams_aborted = 0
        """Streams whose client went away before the end."""
        self.chunks_sent = 0
        """Chunks written in the current (or last) stream."""
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients connect to."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._httpd is not None

    def start(self) -> LoopbackServer:
        """Start listening (on the same port again after `stop()`)."""
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", self.port), Exchange)
        httpd.owner = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection (the server "goes down")."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until(self, predicate: Callable[[], object], timeout: float = 5.0) -> bool:
        """Poll `predicate()` until it is true or `timeout` passes; returns its last value."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def route(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        """Answer one request (subclasses override)."""
        ex.send_json(404, {"error": "not found"})

    def record(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        """Remember a request (subclasses override to keep what they need)."""

    def paced(self, index: int, started: float) -> None:
        """Sleep until chunk `index` is due at `tokens_per_s` (deadline-based, so no drift)."""
        rate = self.tokens_per_s
        if rate:
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stream_began(self) -> None:
        """Count a new stream and reset the chunk counter."""
        with self._lock:
            self.streams_started += 1
            self.chunks_sent = 0

    def _dispatch(self, ex: Exchange, method: str) -> None:
        length = int(ex.headers.get("Content-Length") or 0)
        raw = ex.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            ex.send_json(400, {"error": "invalid JSON body"})
            return
        path = ex.path.split("?", 1)[0]
        self.record(ex, method, path, body if isinstance(body, dict) else {})
        try:
            self.route(ex, method, path, body if isinstance(body, dict) else {})
        except ClientGone:
            with self._lock:
                self.streams_aborted += 1

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
