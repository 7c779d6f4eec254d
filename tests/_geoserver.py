"""A local stand-in for the BAN and Nominatim search APIs, for tests that must not use the network.

It listens on 127.0.0.1 (random free port) and answers in the services' real formats: BAN
(addok) under ``/ban/search`` (and ``/ban/search/``), Nominatim under ``/nominatim/search``.
Answers come from the recorded examples in ``tests/data/online/`` (one file per query: the
service, the query and the JSON body); an unknown query gets the service's empty answer.
A test can script faults per query with :meth:`GeoServer.script`: each request consumes the next
:class:`Reply` of the list, and the last one repeats.

Every request is logged with its arrival time (``time.monotonic``), so tests can count requests
(cache hits make none) and check the spacing the rate limiter enforces.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data" / "online"


def _norm(query: str) -> str:
    return re.sub(r"\s+", " ", query).strip().casefold()


@dataclass(frozen=True)
class Reply:
    """One scripted answer: ``body`` (JSON-serializable, or raw bytes) with ``status``, after
    sleeping ``delay`` seconds; ``body=None`` means the recorded (or empty) answer."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    service: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    time: float

    @property
    def query(self) -> str:
        return self.params.get("q", "")


def empty_answer(service: str, query: str) -> Any:
    """What each service answers when it finds nothing."""
    if service == "ban":
        return {
            "type": "FeatureCollection",
            "version": "draft",
            "features": [],
            "attribution": "BAN",
            "licence": "ETALAB-2.0",
            "query": query,
            "limit": 5,
        }
    return []


def load_recordings() -> dict[tuple[str, str], Any]:
    """``(service, normalized query) -> body`` from ``tests/data/online/*.json``."""
    recordings = {}
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        recordings[(data["service"], _norm(data["query"]))] = data["response"]
    return recordings


class GeoServer:
    """Run with ``with GeoServer() as server:``; ``server.url("ban")`` is the base URL."""

    def __init__(self) -> None:
        self.recordings = load_recordings()
        self.requests: list[Request] = []
        self._scripts: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> GeoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port}/{service}"

    def script(self, service: str, query: str, *replies: Reply) -> None:
        """Answer ``query`` with ``replies`` in turn (the last one repeats)."""
        with self._lock:
            self._scripts[(service, _norm(query))] = list(replies)

    def requests_for(self, service: str, query: str | None = None) -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.service == service and (query is None or _norm(r.query) == _norm(query))
            ]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        service = parts.path.strip("/").split("/")[0]
        if parts.path.rstrip("/") not in ("/ban/search", "/nominatim/search"):
            self._send(handler, 404, b'{"code": 404, "message": "not found"}', {})
            return
        request = Request(service, parts.path, params, dict(handler.headers), arrived)
        key = (service, _norm(request.query))
        with self._lock:
            self.requests.append(request)
            replies = self._scripts.get(key)
            reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else Reply()
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        if body is None:
            body = self.recordings.get(key, empty_answer(service, request.query))
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self._send(handler, reply.status, raw, reply.headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, raw: bytes, headers: dict[str, str]
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except OSError:  # the client gave up (timeout test): nothing to answer
            pass


def closed_port() -> int:
    """A local port nothing listens on (bound, then released): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def online_project(root: Path, ban_url: str, survey: str) -> Path:
    """A project in ``root``: one Windows-1252 survey ``data/surveys/etape.csv`` and a
    ``safi-map.toml`` pointing BAN at ``ban_url`` (fast timeout and rate, for tests)."""
    from _project import make

    return make(root, surveys={"etape.csv": survey}, encoding="cp1252",
                config=f'[geocode]\nban_url = "{ban_url}"\ntimeout = 0.5\nrate = 100\n').root
