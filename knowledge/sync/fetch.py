"""Polite, conditional HTTP fetching for site syncs, confined to where the source may fetch.

- Every URL, and every hop of a redirect, must be on the source's hosts (`allowed`); each hop's
  robots.txt is read and honoured; and every connection goes only to an address the source may
  reach (`guard`). Redirects are followed here, one checked hop at a time.
- robots.txt is honoured (Protego), per host, with its crawl-delay; a robots.txt that can't be
  read because of a server error or the network means "fetch nothing" (RFC 9309), a 4xx means
  "no rules".
- Requests to one host are spaced by the source's rate.
- A page is asked for with the ETag / Last-Modified of its previous fetch, so an unchanged page
  costs a 304 and no body.
- A body over the size limit is abandoned while streaming, counted once decompressed too: a
  gzip-encoded body is inflated here, piece by piece (`inflate`).
A failure is a `Fetched` with a reason, never an exception: the caller keeps the page's previous
version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx
from protego import Protego

from knowledge.sync.allowed import Allowed, host_key
from knowledge.sync.guard import checked_client, refused_address
from knowledge.sync.inflate import ENCODINGS, BrokenError, Inflater, TooLargeError

USER_AGENT = "supportbot-docs-sync/1.0"
FetchStatus = Literal["changed", "not_modified", "failed"]
#: Help centers redirect old article URLs, sometimes twice; more is a loop.
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _redirect(response: httpx.Response) -> bool:
    """A redirect to follow (a 304 is a 3xx too, and no redirect)."""
    return response.status_code in _REDIRECTS and "Location" in response.headers


@dataclass(frozen=True)
class Fetched:
    status: FetchStatus
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    reason: str = ""
    url: str = ""  # where the body came from, after any redirects
    http_status: int = 0
    refused: bool = False  # not fetched: the source may not reach that host or address


class Fetcher:
    """One site sync's HTTP client; `close()` it (or use it as a context manager)."""

    def __init__(
        self,
        *,
        allowed: Allowed,
        requests_per_second: float,
        timeout_s: float,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.allowed = allowed
        self.interval = 1.0 / requests_per_second
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.client = checked_client(allowed, timeout_s=timeout_s, user_agent=USER_AGENT)
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
        refused = self.refusal(url)
        if refused:
            return Fetched("failed", reason=refused, refused=True)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._follow(url, headers, self.refusal)

    def refusal(self, url: str) -> str:
        """Why `url` may not be fetched (not the source's host, robots.txt), or ''."""
        return self.allowed.url_refusal(url) or self._robots_refusal(url)

    def _follow(self, url: str, headers: dict[str, str], refusal: Callable[[str], str]) -> Fetched:
        """GET `url`, following redirects one hop at a time while `refusal` allows each."""
        try:
            for _ in range(MAX_REDIRECTS + 1):
                self._wait_turn(url)
                with self.client.stream("GET", url, headers=headers) as response:
                    if not _redirect(response):
                        return self._read(response, url)
                    target = str(response.url.join(response.headers["Location"]))
                refused = refusal(target)
                if refused:
                    return Fetched("failed", reason=f"redirected to {target}: {refused}",
                                   refused=True)  # fmt: skip
                url = target
        except httpx.TimeoutException:
            return Fetched("failed", reason=f"timed out after {self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            if refused_address(exc):
                return Fetched("failed", reason=refused_address(exc), refused=True)
            return Fetched("failed", reason=f"{type(exc).__name__}: {exc}")
        except (httpx.InvalidURL, UnicodeError) as exc:
            return Fetched("failed", reason=f"a redirect to a broken URL ({exc})")
        return Fetched("failed", reason=f"more than {MAX_REDIRECTS} redirects")

    def _read(self, response: httpx.Response, url: str) -> Fetched:
        status = response.status_code
        if status == 304:
            return Fetched("not_modified", url=url, http_status=status)
        if status != 200:
            return Fetched("failed", reason=f"HTTP {status}", http_status=status)
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > self.max_bytes:
            return Fetched("failed", reason=self._too_big(declared))
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", *ENCODINGS):
            return Fetched("failed", reason=f"an encoding it can't read ({encoding})")
        inflater = Inflater(encoding, self.max_bytes) if encoding in ENCODINGS else None
        body = bytearray()
        try:
            for piece in response.iter_raw():
                body += inflater.feed(piece) if inflater else piece
                if len(body) > self.max_bytes:
                    return Fetched("failed", reason=self._too_big(len(body)))
            if inflater:
                body += inflater.finish()
        except TooLargeError:
            return Fetched("failed", reason=f"over the {self.max_bytes / 1e6:g} MB limit once "
                           "decompressed")  # fmt: skip
        except BrokenError as exc:
            return Fetched("failed", reason=str(exc))
        return Fetched(
            "changed",
            bytes(body),
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
            url=url,
            http_status=status,
        )

    def _too_big(self, size: int) -> str:
        return f"over the {self.max_bytes / 1e6:g} MB limit (at least {size / 1e6:.1f} MB)"

    def _robots_refusal(self, url: str) -> str:
        """Why robots.txt forbids `url`, or '' when it may be fetched."""
        parsed = httpx.URL(url)
        host = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
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
        """The host's rules; a redirect of robots.txt is followed on the source's hosts only."""
        fetched = self._follow(f"{host}/robots.txt", {}, self.allowed.url_refusal)
        if fetched.status == "changed":
            return Protego.parse(fetched.body.decode("utf-8", errors="replace"))
        if fetched.refused and not fetched.http_status:  # the host itself can't be reached
            return fetched.reason
        if fetched.http_status >= 500 or not fetched.http_status:
            why = fetched.reason
            return f"robots.txt could not be read ({why}); nothing is fetched"
        return Protego.parse("")  # 4xx: no rules

    def _wait_turn(self, url: str) -> None:
        host = host_key(url) or ("", None)
        now = self._clock()
        start = max(now, self._next.get(str(host), now))
        self._next[str(host)] = start + self.interval
        if start > now:
            self._sleep(start - now)
