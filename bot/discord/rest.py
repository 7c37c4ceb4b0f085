"""Discord's REST API for processes that have no gateway connection (the delivery worker).

discord.py's own HTTP client does the talking, so deliveries get its rate-limit buckets, its 429
handling (waits `retry_after`, then retries) and its 5xx retries. It runs on one event loop in a
background thread, shared by the worker's delivery threads, and logs in on first use.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from discord.http import HTTPClient, Route

T = TypeVar("T")


def use_api(url: str) -> None:
    """Point discord.py's REST calls at `url` (Discord's by default; a proxy or a stand-in)."""
    Route.BASE = url.rstrip("/")


class DiscordRest:
    def __init__(self, token: str, api_url: str) -> None:
        use_api(api_url)
        self._token = token
        self._loop = asyncio.new_event_loop()
        self._http: HTTPClient | None = None
        self._login = asyncio.Lock()
        threading.Thread(target=self._loop.run_forever, name="discord-rest", daemon=True).start()

    def call(self, work: Callable[[HTTPClient], Awaitable[T]], timeout: float = 300) -> T:
        """Run `work(http)` on the client's loop and wait for its result (or its error). One
        that outlasts `timeout` is cancelled, so it can't post after its caller gave up on it."""
        running = asyncio.run_coroutine_threadsafe(self._run(work), self._loop)
        try:
            return running.result(timeout)
        except TimeoutError:
            running.cancel()
            raise

    async def _run(self, work: Callable[[HTTPClient], Awaitable[T]]) -> T:
        async with self._login:
            if self._http is None:
                http = HTTPClient(self._loop)
                await http.static_login(self._token)
                self._http = http
        return await work(self._http)

    def close(self) -> None:
        if self._http is not None:
            self.call(lambda http: http.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
