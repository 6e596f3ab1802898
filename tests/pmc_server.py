"""A real HTTP server on 127.0.0.1 standing in for NCBI efetch, the ID converter and Europe PMC.

Tests script it with a routing table: ``server.route(path, reply, ..., id="123")`` answers
requests for ``path`` (and, optionally, with those query parameters) with the replies in
order, the last one repeating. Every request is recorded with its arrival time, so tests
can measure the client's rate limit and backoff at the server, where it really happens.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from quiet_server import QuietHTTPServer

FIXTURES = Path(__file__).parent / "fixtures" / "jats"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (a hanging service)
    content_type: str = "application/xml"


@dataclass
class Request:
    time: float
    path: str
    query: dict[str, str]


def fixture_reply(name: str, status: int = 200) -> Reply:
    return Reply(status, (FIXTURES / name).read_bytes())


class FakePMC:
    def __init__(self) -> None:
        self.routes: list[tuple[str, dict[str, str], list[Reply]]] = []
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        handler = self._handler_class()
        self.httpd = QuietHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, path: str, *replies: Reply, **query: str) -> None:
        """Answer GET ``path`` (with these query values) with ``replies`` in turn."""
        with self.lock:
            self.routes.append((path, query, list(replies)))

    def hits(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def _reply_for(self, path: str, query: dict[str, str]) -> Reply:
        with self.lock:
            self.requests.append(Request(time.monotonic(), path, query))
            # the most specific matching route wins
            matches = [
                r
                for r in self.routes
                if r[0] == path and all(query.get(k) == v for k, v in r[1].items())
            ]
            if not matches:
                return Reply(404, b"not found", content_type="text/plain")
            _, _, replies = max(matches, key=lambda r: len(r[1]))
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                reply = server._reply_for(parts.path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> FakePMC:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def pmc_server() -> Iterator[FakePMC]:
    server = FakePMC().start()
    try:
        yield server
    finally:
        server.stop()
