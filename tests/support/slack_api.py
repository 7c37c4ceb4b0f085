"""A local stand-in for Slack's Web API on 127.0.0.1: records calls, answers like Slack does."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

BOT_USER = "U0BOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class SlackStandIn:
    """Program it with `rate_limit` (429s to send first) and `replies` (thread history)."""

    calls: list[Call] = field(default_factory=list)
    rate_limit: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    replies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SlackStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if "json" in self.headers.get("Content-Type", ""):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in parse_qs(raw).items()}
                status, body, headers = stand_in.respond(method, args)
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/api/"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()

    def respond(self, method: str, args: dict[str, Any]) -> tuple[int, dict, dict[str, str]]:
        with self._lock:
            self.calls.append(Call(method, args, time.monotonic()))
            if self.rate_limit.get(method, 0) > 0:
                self.rate_limit[method] -= 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            if method in self.errors:
                return 200, {"ok": False, "error": self.errors[method]}, {}
        if method == "auth.test":
            return 200, {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": "T0001"}, {}
        if method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            return 200, {"ok": True, "channel": args.get("channel"), "ts": ts}, {}
        if method == "conversations.replies":
            return 200, {"ok": True, "messages": self.replies}, {}
        return 200, {"ok": True}, {}

    def named(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{method} called {len(self.named(method))} times, wanted {count}")


def post_event(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str,
    retry: int | None = None,
    timestamp: int | None = None,
    timeout: float = 30,
    interactive: bool = False,
    replies: list[str] | None = None,
) -> tuple[int, float]:
    """POST an Events API payload (or, `interactive`, a button or modal payload, form-encoded)
    signed as Slack signs it; (HTTP status, seconds taken). Response bodies go to `replies`."""
    body = urlencode({"payload": json.dumps(payload)}) if interactive else json.dumps(payload)
    ts = str(timestamp or int(time.time()))
    kind = "application/x-www-form-urlencoded" if interactive else "application/json"
    headers = {
        "Content-Type": kind,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    request = urllib.request.Request(url, body.encode(), headers, method="POST")  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            reply = response.read().decode()
            if replies is not None:
                replies.append(reply)
            return response.status, time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started
