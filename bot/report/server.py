"""The report on localhost, behind SUPPORTBOT_REPORT_TOKEN: nothing is shown without it.

The first visit carries the token in the link (`/?token=…`); the answer sets it as an HttpOnly,
SameSite=Strict cookie and redirects to a link without it, so it stays out of the address bar
and the history. Every request (the page, plotly.min.js) is checked against the token in
constant time. The page is built at most once a minute: clustering the gaps embeds their
questions.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

COOKIE = "supportbot_report"
SECURITY = [
    ("Content-Security-Policy", "default-src 'none'; script-src 'self' 'unsafe-inline'; "
     "style-src 'unsafe-inline'; img-src data:; connect-src 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]  # fmt: skip
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Cached:
    """The page, built again once it is older than `max_age_s`."""

    def __init__(self, build: Callable[[], str], max_age_s: float = 60.0) -> None:
        self.build, self.max_age_s = build, max_age_s
        self.page, self.built_at = "", -max_age_s
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            if time.monotonic() - self.built_at >= self.max_age_s:
                self.page, self.built_at = self.build(), time.monotonic()
            return self.page


def application(token: str, page: Callable[[], str], plotly_js: Callable[[], str]) -> WsgiApp:
    """The report's WSGI app: `/` (the page) and `/plotly.min.js`, for the token only."""
    if not token:
        raise ValueError("the report needs a token (SUPPORTBOT_REPORT_TOKEN)")

    def allowed(given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        bearer = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        if path == "/" and allowed((query.get("token") or [""])[0]):
            cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
            start_response("303 See Other", [("Location", "/"), ("Set-Cookie", cookie), *SECURITY])
            return [b""]
        held = cookies[COOKIE].value if COOKIE in cookies else ""
        if not (allowed(held) or allowed(bearer)):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), *SECURITY])
            return [b"This report needs its token: open the link `supportbot report` printed.\n"]
        if path == "/":
            body, kind = page().encode(), "text/html; charset=utf-8"
        elif path == "/plotly.min.js":
            body, kind = plotly_js().encode(), "text/javascript; charset=utf-8"
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain"), *SECURITY])
            return [b"not found\n"]
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body))),
                                  *SECURITY])  # fmt: skip
        return [body]

    return app
