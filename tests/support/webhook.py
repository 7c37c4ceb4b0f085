"""A ticketing system's webhook receiver on 127.0.0.1: it keeps every request, and answers 503
while `down` (as a receiver being deployed or overloaded would)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    refused: bool


@dataclass
class WebhookReceiver:
    server: HTTPServer = field(default_factory=lambda: HTTPServer(host="127.0.0.1"))
    down: bool = False
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookReceiver:
        self.server.expect_request("/hooks/handoff", method="POST").respond_with_handler(self._take)
        self.server.start()
        return self

    @property
    def url(self) -> str:
        return self.server.url_for("/hooks/handoff")

    def _take(self, request: Request) -> Response:
        with self._lock:
            self.received.append(Received(request.get_data(), dict(request.headers), self.down))
        return Response("down for maintenance", status=503) if self.down else Response("ok")

    def taken(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if not r.refused]

    def refused(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.refused]

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()
