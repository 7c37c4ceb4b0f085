"""Polite, conditional HTTP fetching for site syncs.

- robots.txt is honoured (Protego), per host, with its crawl-delay; a robots.txt that can't be
  read because of a server error or the network means "fetch nothing" (RFC 9309), a 4xx means
  "no rules".
- Requests to one host are spaced by the source's rate.
- A page is asked for with the ETag / Last-Modified of its previous fetch, so an unchanged page
  costs a 304 and no body.
- A body over the size limit is abandoned while streaming.
A failure is a `Fetched` with a reason, never an exception: the caller keeps the page's previous
version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx
from protego import Protego

USER_AGENT = "supportbot-docs-sync/1.0"
FetchStatus = Literal["changed", "not_modified", "failed"]


@dataclass(frozen=True)
class Fetched:
    status: FetchStatus
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    reason: str = ""


class Fetcher:
    """One site sync's HTTP client; `close()` it (or use it as a context manager)."""

    def __init__(
        self,
        *,
        requests_per_second: float,
        timeout_s: float,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / requests_per_second
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.client = httpx.Client(
            timeout=timeout_s, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )
        self._robots: dict[str, Protego | str] = {}  # host -> rules, or why none could be read
        self._next: dict[str, float] = {}
        self._clock, self._sleep = clock, sleep

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        """The page, or `not_modified`, or `failed` with the reason."""
        refused = self._refused(url)
        if refused:
            return Fetched("failed", reason=refused)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            return self._request(url, headers)
        except httpx.TimeoutException:
            return Fetched("failed", reason=f"timed out after {self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Fetched("failed", reason=f"{type(exc).__name__}: {exc}")

    def _request(self, url: str, headers: dict[str, str]) -> Fetched:
        self._wait_turn(url)
        with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched("not_modified")
            if response.status_code != 200:
                return Fetched("failed", reason=f"HTTP {response.status_code}")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > self.max_bytes:
                return Fetched("failed", reason=self._too_big(declared))
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    return Fetched("failed", reason=self._too_big(len(body)))
            return Fetched(
                "changed",
                bytes(body),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )

    def _too_big(self, size: int) -> str:
        return f"over the {self.max_bytes / 1e6:g} MB limit (at least {size / 1e6:.1f} MB)"

    def _refused(self, url: str) -> str:
        """Why robots.txt forbids `url`, or '' when it may be fetched."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self._robots:
            self._robots[host] = self._read_robots(host)
        rules = self._robots[host]
        if isinstance(rules, str):
            return rules
        if not rules.can_fetch(url, USER_AGENT):
            return "robots.txt disallows it"
        delay = rules.crawl_delay(USER_AGENT)
        if delay:
            self.interval = max(self.interval, float(delay))
        return ""

    def _read_robots(self, host: str) -> Protego | str:
        try:
            self._wait_turn(host)
            response = self.client.get(f"{host}/robots.txt")
        except httpx.HTTPError as exc:
            return f"robots.txt could not be read ({type(exc).__name__}); nothing is fetched"
        if response.status_code >= 500:
            return f"robots.txt could not be read (HTTP {response.status_code}); nothing is fetched"
        return Protego.parse(response.text if response.status_code == 200 else "")

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        now = self._clock()
        start = max(now, self._next.get(host, now))
        self._next[host] = start + self.interval
        if start > now:
            self._sleep(start - now)
