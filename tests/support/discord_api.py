"""A local stand-in for Discord on 127.0.0.1: the REST API (`discord.http.Route.BASE` points here)
and a gateway websocket that says HELLO, answers IDENTIFY with READY and GUILD_CREATE, acks
heartbeats, and dispatches the events a test pushes. Payload shapes follow Discord's docs."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import yarl
from aiohttp import WSMsgType, web
from discord.gateway import DiscordWebSocket

from tests.support.observe import wait_until

APP_ID = "1300000000000000001"
GUILD_ID = "1300000000000000002"
CHANNEL_ID = "1300000000000000003"
FORUM_ID = "1300000000000000006"  # a forum channel: each post is a thread
DRAFTS_ID = "1300000000000000007"  # a text channel for tests of review before posting
REVIEW_ID = "1300000000000000008"  # where its drafts are reviewed
BOT = {"id": "1300000000000000004", "username": "supportbot", "discriminator": "0",
       "global_name": "Support Bot", "avatar": None, "bot": True}  # fmt: skip
PERSON = {"id": "1300000000000000005", "username": "ada", "discriminator": "0",
          "global_name": "Ada", "avatar": None}  # fmt: skip
RATE_LIMITED = {"message": "You are being rate limited.", "retry_after": 1.0, "global": False}
_ids = itertools.count(1300000000000100000)


def snowflake() -> str:
    return str(next(_ids))


def now() -> str:
    return datetime.now(UTC).isoformat()


def message(
    content: str,
    *,
    channel_id: str = CHANNEL_ID,
    author: dict | None = None,
    mentions: list[dict] | None = None,
    guild: bool = True,
    **extra: Any,
) -> dict:
    """A MESSAGE_CREATE payload as the gateway sends it."""
    data = {
        "id": snowflake(), "channel_id": channel_id, "author": author or PERSON,
        "content": content, "timestamp": now(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": mentions or [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
    }  # fmt: skip
    if guild:
        data |= {"guild_id": GUILD_ID, "member": {"roles": [], "joined_at": now(), "deaf": False,
                                                  "mute": False, "flags": 0}}  # fmt: skip
    return data | extra


def slash_ask(question: str, *, channel_id: str = CHANNEL_ID) -> dict:
    """An INTERACTION_CREATE payload for `/ask question:...` in a guild channel."""
    return {
        "id": snowflake(), "application_id": APP_ID, "type": 2, "token": f"tok-{snowflake()}",
        "version": 1, "guild_id": GUILD_ID, "channel_id": channel_id,
        "channel": {"id": channel_id, "type": 0, "guild_id": GUILD_ID, "name": "support"},
        "member": {"user": PERSON, "roles": [], "joined_at": now(), "deaf": False, "mute": False,
                   "flags": 0, "permissions": "2248473465835073"},
        "data": {"id": "1300000000000000009", "name": "ask", "type": 1,
                 "options": [{"name": "question", "type": 3, "value": question}]},
        "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US",
        "entitlements": [], "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0,
        "attachment_size_limit": 10485760,
    }  # fmt: skip


def clicked(custom_id: str, on: dict, *, channel_id: str) -> dict:
    """An INTERACTION_CREATE payload for a button click (type 3) on the bot's message `on`."""
    data = slash_ask("", channel_id=channel_id)
    data |= {"type": 3, "message": on, "data": {"custom_id": custom_id, "component_type": 2}}
    return data


def submitted(custom_id: str, text: str, *, channel_id: str) -> dict:
    """An INTERACTION_CREATE payload for a modal submission (type 5): one text input in a label."""
    data = slash_ask("", channel_id=channel_id)
    data |= {"type": 5, "data": {"custom_id": custom_id, "components": [
        {"type": 18, "id": 1, "component": {"type": 4, "id": 2, "custom_id": "text",
                                            "value": text}}]}}  # fmt: skip
    return data


def thread(thread_id: str, name: str = "a question", *, parent_id: str = CHANNEL_ID,
           owner_id: str = BOT["id"]) -> dict:  # fmt: skip
    """A THREAD_CREATE payload: a public thread in the support channel (or a forum's post)."""
    return {
        "id": thread_id, "type": 11, "guild_id": GUILD_ID, "parent_id": parent_id,
        "name": name, "owner_id": owner_id, "last_message_id": None, "rate_limit_per_user": 0,
        "message_count": 1, "member_count": 1,
        "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                            "archive_timestamp": now(), "locked": False},
    }  # fmt: skip


@dataclass
class Call:
    name: str
    method: str
    path: str
    body: Any
    at: float
    refused: bool = False  # answered with a 429, a 500 (the stand-in's outage) or an error


@dataclass
class DiscordStandIn:
    """Program `rate_limit` (429s to send first, by call name), `outage` (500s to send first;
    `"*"`: every call), `errors` (name -> (status, body))
    and `messages` (channel id -> stored messages, for history and fetches).

    The gateway keeps every event it dispatched: `drop()` closes the connections (and, with
    `down=True`, refuses new ones until `restore()`); events dispatched meanwhile are replayed to
    a client that RESUMEs from its last sequence number, as Discord does."""

    calls: list[Call] = field(default_factory=list)
    rate_limit: dict[str, int] = field(default_factory=dict)
    errors: dict[str, tuple[int, dict]] = field(default_factory=dict)
    outage: dict[str, int] = field(default_factory=dict)
    messages: dict[str, list[dict]] = field(default_factory=dict)
    threads: set[str] = field(default_factory=set)
    files: dict[str, bytes] = field(default_factory=dict)  # the CDN: attached files by path
    api_url: str = ""
    gateway_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _sequence: itertools.count = field(default_factory=lambda: itertools.count(1))
    _sent: list[tuple[int, str]] = field(default_factory=list)
    _down: bool = False
    _runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> DiscordStandIn:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            app = web.Application()
            app.router.add_get("/gateway", self._gateway)
            app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
            app.router.add_get("/attachments/{path:.*}", self._cdn)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = self._runner.addresses[0][1]
            self.api_url = f"http://127.0.0.1:{port}/api/v10"
            self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
            ready.set()

        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(serve(), self._loop)
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)

    # -- gateway ---------------------------------------------------------------------------
    def dispatch(self, event: str, data: dict) -> float:
        """Send one gateway event to every connected client; when sending began (monotonic)."""
        assert self._loop is not None
        began = _now()
        asyncio.run_coroutine_threadsafe(self._send_all(event, data), self._loop).result(10)
        return began

    async def _send_all(self, event: str, data: dict) -> None:
        sequence = next(self._sequence)
        frame = json.dumps({"op": 0, "t": event, "s": sequence, "d": data})
        self._sent.append((sequence, frame))
        for socket in list(self._sockets):
            await socket.send_str(frame)

    def drop(self, *, down: bool = False) -> None:
        """Close every gateway connection (code 4000: the client reconnects and RESUMEs); with
        `down`, refuse connections until `restore()`."""
        assert self._loop is not None
        self._down = down

        async def close_all() -> None:
            sockets, self._sockets = list(self._sockets), []
            for socket in sockets:
                await socket.close(code=4000, message=b"dropped by the stand-in")

        asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(10)

    def restore(self) -> None:
        self._down = False

    async def _resume(self, socket: web.WebSocketResponse, since: int) -> None:
        """Replay what the client missed, then say RESUMED."""
        for sequence, frame in list(self._sent):
            if sequence > since:
                await socket.send_str(frame)
        self._sockets.append(socket)
        await self._send_all("RESUMED", {})

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self._down:
            return web.Response(status=503, text="the gateway is down")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            if payload["op"] == 1:
                await socket.send_json({"op": 11})
            elif payload["op"] == 2:
                self.calls.append(Call("identify", "WS", "/gateway", payload["d"], _now()))
                self._sockets.append(socket)
                await self._send_all("READY", {
                    "v": 10, "user": BOT, "guilds": [{"id": GUILD_ID, "unavailable": True}],
                    "session_id": "session-1", "resume_gateway_url": self.gateway_url,
                    "application": {"id": APP_ID, "flags": 0}, "shard": [0, 1],
                })  # fmt: skip
                await self._send_all("GUILD_CREATE", self._guild())
            elif payload["op"] == 6:
                self.calls.append(Call("resume", "WS", "/gateway", payload["d"], _now()))
                await self._resume(socket, int(payload["d"].get("seq") or 0))
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    def _guild(self) -> dict:
        return {
            "id": GUILD_ID, "name": "Orbit", "icon": None, "owner_id": PERSON["id"],
            "unavailable": False, "large": False, "member_count": 2, "features": [],
            "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "2248473465835073",
                       "position": 0, "color": 0, "hoist": False, "managed": False,
                       "mentionable": False, "flags": 0}],
            "channels": [{"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "support",
                          "position": 0, "permission_overwrites": [], "nsfw": False,
                          "parent_id": None, "rate_limit_per_user": 0},
                         {"id": FORUM_ID, "type": 15, "guild_id": GUILD_ID, "name": "help",
                          "position": 1, "permission_overwrites": [], "nsfw": False,
                          "parent_id": None, "rate_limit_per_user": 0, "available_tags": [],
                          "default_reaction_emoji": None, "default_sort_order": None,
                          "default_forum_layout": 0, "flags": 0},
                         *({"id": id_, "type": 0, "guild_id": GUILD_ID, "name": name,
                            "position": 2 + n, "permission_overwrites": [], "nsfw": False,
                            "parent_id": None, "rate_limit_per_user": 0} for n, (id_, name)
                           in enumerate([(DRAFTS_ID, "ask-ai"), (REVIEW_ID, "review")]))],
            "threads": [], "members": [], "voice_states": [], "presences": [], "emojis": [],
            "stickers": [], "joined_at": now(), "premium_tier": 0, "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "system_channel_flags": 0,
            "preferred_locale": "en-US", "nsfw_level": 0, "premium_progress_bar_enabled": False,
        }  # fmt: skip

    # -- REST ------------------------------------------------------------------------------
    async def _cdn(self, request: web.Request) -> web.Response:
        self.calls.append(Call("cdn", "GET", request.path, {}, _now()))
        content = self.files.get(request.path)
        return web.Response(body=content) if content is not None else web.Response(status=404)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        raw = await request.read()
        body = json.loads(raw) if raw and "json" in request.content_type else None
        name = _name(request.method, path)
        call = Call(name, request.method, path, body, _now())
        self.calls.append(call)
        if self.rate_limit.get(name, 0) > 0:
            self.rate_limit[name] -= 1
            call.refused = True
            return _json(
                RATE_LIMITED, status=429, headers={"Retry-After": "1", "Via": "1.1 google"}
            )
        down = next((key for key in (name, "*") if self.outage.get(key, 0) > 0), None)
        if down is not None:  # Discord down: 500 for the next N calls (of every kind, for "*")
            self.outage[down] -= 1
            call.refused = True
            return _json({"message": "Internal Server Error", "code": 0}, status=500)
        if name in self.errors:
            status, error = self.errors[name]
            call.refused = True
            return _json(error, status=status)
        return await self._answer(name, path, body)

    async def _answer(self, name: str, path: str, body: Any) -> web.Response:
        parts = path.strip("/").split("/")
        if name == "get_me":
            return _json(BOT)
        if name == "application_info":
            return _json({
                "id": APP_ID, "name": "supportbot", "icon": None, "description": "",
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "00",
                "owner": PERSON, "flags": 0, "team": None,
            })  # fmt: skip
        if name == "sync_commands":
            return _json([
                {"id": snowflake(), "application_id": APP_ID, "version": snowflake(), "type": 1,
                 "default_member_permissions": None, **command} for command in body
            ])  # fmt: skip
        if name == "interaction_callback":
            return _json({
                "interaction": {"id": parts[1], "type": 2, "response_message_loading": True,
                                "response_message_ephemeral": False},
                "resource": {"type": 5},
            })  # fmt: skip
        if name in {"add_reaction", "remove_reaction", "delete_original", "delete_message"}:
            return web.Response(status=204)
        if name in {"edit_original", "edit_message"}:
            edited = parts[-1] if name == "edit_message" else snowflake()
            return _json(message("", channel_id=CHANNEL_ID, author=BOT) | {"id": edited} | body)
        if name == "start_thread":
            channel_id, message_id = parts[1], parts[3]
            if message_id in self.threads:
                return _json(
                    {"code": 160004, "message": "A thread has already been created for this "
                     "message"}, status=400,
                )  # fmt: skip
            self.threads.add(message_id)
            created = thread(message_id, body["name"]) | {"parent_id": channel_id}
            await self._send_all("THREAD_CREATE", created | {"newly_created": True})
            return _json(created)
        if name in {"create_message", "follow_up"}:
            channel_id = parts[1] if name == "create_message" else CHANNEL_ID
            nonce = (body or {}).get("nonce") if (body or {}).get("enforce_nonce") else None
            for earlier in self.messages.get(channel_id, []) if nonce else []:
                if earlier.get("nonce") == nonce:  # Discord: the same nonce, the same message
                    return _json(earlier)
            posted = message("", channel_id=channel_id, author=BOT) | (body or {})
            posted.pop("allowed_mentions", None)
            posted.pop("enforce_nonce", None)
            self.messages.setdefault(channel_id, []).append(posted)
            return _json(posted)
        if name == "history":
            return _json(list(reversed(self.messages.get(parts[1], []))))
        if name == "get_message":
            found = [m for m in self.messages.get(parts[1], []) if m["id"] == parts[3]]
            if found:
                return _json(found[0])
            return _json({"code": 10008, "message": "Unknown Message"}, status=404)
        return _json({"code": 0, "message": f"stand-in has no {path}"}, status=404)

    # -- for assertions --------------------------------------------------------------------
    def named(self, name: str) -> list[Call]:
        return [c for c in list(self.calls) if c.name == name]

    def named_on(self, name: str, *within: str) -> list[Call]:
        """Calls named `name` whose path contains each of `within`."""
        return [c for c in self.named(name) if all(part in c.path for part in within)]

    def wait_for(self, name: str, count: int = 1, timeout: float = 90, **where: str) -> list[Call]:
        """Calls named `name` (whose path contains each value in `where`) once there are `count`."""
        return wait_until(
            lambda: (found := self.named_on(name, *where.values())) and len(found) >= count
            and found,
            f"{count} {name} call(s) on {where}",
            timeout,
        )  # fmt: skip


@contextlib.contextmanager
def connected(client: discord.Client, stand_in: DiscordStandIn, token: str) -> Iterator[None]:
    """Run `client` on its own event loop, connected to the stand-in's gateway, until the end.
    (Its REST calls already go to the stand-in: `create_bot` points `Route.BASE` at the URL in
    its settings.)"""
    saved = DiscordWebSocket.DEFAULT_GATEWAY
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(stand_in.gateway_url)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    running = asyncio.run_coroutine_threadsafe(client.start(token), loop)
    try:
        wait_until(lambda: client.is_ready() or running.done(), "the bot to connect", timeout=90)
        if running.done():
            running.result()  # raises what stopped the bot
        assert client.is_ready(), "the bot never got READY from the gateway stand-in"
        yield
    finally:
        asyncio.run_coroutine_threadsafe(client.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        DiscordWebSocket.DEFAULT_GATEWAY = saved


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON as Discord sends it: discord.py parses a body only for exactly `application/json`."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _now() -> float:
    return time.monotonic()


def _name(method: str, path: str) -> str:
    """A REST call's name, from Discord's route shapes."""
    parts = path.strip("/").split("/")
    match method, parts:
        case "GET", ["users", "@me"]:
            return "get_me"
        case "GET", ["oauth2", "applications", "@me"]:
            return "application_info"
        case "PUT", ["applications", *_, "commands"]:
            return "sync_commands"
        case "POST", ["interactions", _, _, "callback"]:
            return "interaction_callback"
        case "POST", ["webhooks", _, _]:
            return "follow_up"
        case "PATCH", ["webhooks", _, _, "messages", "@original"]:
            return "edit_original"
        case "DELETE", ["webhooks", _, _, "messages", "@original"]:
            return "delete_original"
        case "PATCH", ["channels", _, "messages", _]:
            return "edit_message"
        case "DELETE", ["channels", _, "messages", _]:
            return "delete_message"
        case "PUT", ["channels", _, "messages", _, "reactions", _, "@me"]:
            return "add_reaction"
        case "DELETE", ["channels", _, "messages", _, "reactions", _, "@me"]:
            return "remove_reaction"
        case "POST", ["channels", _, "messages", _, "threads"]:
            return "start_thread"
        case "POST", ["channels", _, "messages"]:
            return "create_message"
        case "GET", ["channels", _, "messages"]:
            return "history"
        case "GET", ["channels", _, "messages", _]:
            return "get_message"
    return f"{method} {path}"
