"""A local stand-in for Slack's Web API on 127.0.0.1: records calls, answers like Slack does."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from tests.support.observe import wait_until

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer

BOT_USER = "U0BOT"
PAYLOADS = Path(__file__).parents[1] / "unit" / "slack" / "payloads"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    refused: bool = False  # answered with a 429 or a 500 (the stand-in's outage)
    ts: str = ""  # the message's ts, for a chat.postMessage (or chat.startStream) Slack took


@dataclass
class SlackStandIn:
    """Program it with `rate_limit` (429s to send first), `outage` (500s to send first; `"*"`:
    every method), `replies` (thread history) and `files` (what a GET of a path serves to the
    bot's token: attached files)."""

    calls: list[Call] = field(default_factory=list)
    rate_limit: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    outage: dict[str, int] = field(default_factory=dict)
    replies: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    url: str = ""
    socket_url: str = ""
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

            def do_GET(self) -> None:  # a file's private download link
                with stand_in._lock:
                    stand_in.calls.append(Call(f"GET {self.path}", {}, time.monotonic()))
                content = stand_in.files.get(self.path)
                authorized = self.headers.get("Authorization") == "Bearer xoxb-test-token"
                self.send_response(200 if content is not None and authorized else 404)
                self.send_header("Content-Length", str(len(content or b"")))
                self.end_headers()
                self.wfile.write(content or b"")

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
            call = Call(method, args, time.monotonic())
            self.calls.append(call)
            if self.rate_limit.get(method, 0) > 0:
                self.rate_limit[method] -= 1
                call.refused = True
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            down = next((key for key in (method, "*") if self.outage.get(key, 0) > 0), None)
            if down is not None:  # Slack down: 500 for the next N calls (every method: "*")
                self.outage[down] -= 1
                call.refused = True
                return 500, {"ok": False, "error": "internal_error"}, {}
            if method in self.errors:
                return 200, {"ok": False, "error": self.errors[method]}, {}
        if method == "auth.test":
            return 200, {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": "T0001"}, {}
        if method in ("chat.postMessage", "chat.startStream"):  # a stream is a message too
            call.ts = f"{time.time():.6f}"
            return 200, {"ok": True, "channel": args.get("channel"), "ts": call.ts}, {}
        if method == "conversations.replies":
            return 200, {"ok": True, "messages": self.replies}, {}
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self.socket_url}, {}
        return 200, {"ok": True}, {}

    def named(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts_in(self, thread_ts: str) -> list[Call]:
        """chat.postMessage calls into one thread."""
        return [c for c in self.named("chat.postMessage") if c.args.get("thread_ts") == thread_ts]

    def wait_posts(self, thread_ts: str, count: int = 1) -> list[Call]:
        """The posts in a thread once there are at least `count` of them. (To show that no more
        will come, settle the workers first: `tests.support.observe.wait_idle`.)"""
        return wait_until(
            lambda: (found := self.posts_in(thread_ts)) and len(found) >= count and found,
            f"{count} post(s) in thread {thread_ts}",
        )

    def wait_for(self, method: str, count: int = 1, timeout: float = 60) -> list[Call]:
        return wait_until(
            lambda: (found := self.named(method)) and len(found) >= count and found,
            f"{count} {method} call(s)",
            timeout,
        )


def app_mention(event_id: str, text: str, ts: str = "1700000000.000100") -> dict[str, Any]:
    """An Events API `app_mention` payload (the recorded one) with this id, text and ts."""
    payload = json.loads((PAYLOADS / "app_mention.json").read_text())
    payload["event_id"] = event_id
    payload["event"] |= {"text": f"<@{BOT_USER}> {text}", "ts": ts, "event_ts": ts}
    return payload


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


@dataclass
class SocketModeStandIn:
    """Slack's Socket Mode end on 127.0.0.1: says hello, sends envelopes, records the acks."""

    acks: dict[str, float] = field(default_factory=dict)
    url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)

    def start(self) -> SocketModeStandIn:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._connection)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/link"

    async def _connection(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1,
                                "connection_info": {"app_id": "A0001"}})  # fmt: skip
        async for frame in socket:
            if frame.type == WSMsgType.TEXT:
                envelope_id = json.loads(frame.data).get("envelope_id")
                if envelope_id:
                    self.acks.setdefault(envelope_id, time.monotonic())
        self._sockets.remove(socket)
        return socket

    def connected(self, timeout: float = 60) -> bool:
        return bool(wait_until(lambda: bool(self._sockets), "a Socket Mode connection", timeout))

    def send(self, payload: dict[str, Any], *, retry: int = 0) -> tuple[str, float]:
        """One events_api envelope; its id and when it was sent."""
        assert self._loop is not None
        envelope_id = f"env-{uuid.uuid4().hex[:12]}"
        envelope = {"envelope_id": envelope_id, "type": "events_api", "payload": payload,
                    "accepts_response_payload": False, "retry_attempt": retry,
                    "retry_reason": "timeout" if retry else ""}  # fmt: skip
        sent = time.monotonic()
        asyncio.run_coroutine_threadsafe(self._sockets[0].send_json(envelope), self._loop).result(5)
        return envelope_id, sent

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)


def http_env(api_url: str, secret: str) -> dict[str, str]:
    """The Slack adapter's settings in HTTP Events mode, its Web API the stand-in at `api_url`."""
    return {
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "SUPPORTBOT_SLACK_SIGNING_SECRET": secret,
        "SUPPORTBOT_SLACK_MODE": "http",
        "SUPPORTBOT_SLACK_API_URL": api_url,
    }


@dataclass
class Served:
    """The real Bolt app served over HTTP (waitress) on 127.0.0.1, in this process."""

    server: BaseWSGIServer
    url: str

    def close(self) -> None:
        self.server.close()


def serve_bolt(env: dict[str, str], **options: Any) -> Served:
    """The adapter an `env` configures, answering Events API requests on a free port, enqueuing
    on that env's broker and claiming in its records (`options`: `make_http_server`'s)."""
    from bot.slack.app import create_app, make_http_server
    from bot.slack.settings import SlackSettings
    from knowledge.records.store import Records
    from tests.support.processes import client_app, settings_from

    settings = settings_from(SlackSettings, env)
    app = create_app(settings, client_app(env), Records(settings.resolved_records_url))
    server = make_http_server(app, settings, "127.0.0.1", 0, **options)
    threading.Thread(target=server.run, daemon=True).start()
    return Served(server, f"http://127.0.0.1:{server.effective_port}/slack/events")
