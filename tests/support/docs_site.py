"""A help center on 127.0.0.1 for the sync tests: HTML pages listed in a sitemap (with lastmod),
robots.txt, ETags answered with 304, and pages that fail on purpose (an error status, a page that
never answers, a huge page); and what a hostile site serves: a sitemap that lists URLs on other
hosts (or child sitemaps there), redirects, gzip bombs."""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections import Counter

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CHROME = "<nav><a href='/'>Home</a> · <a href='/billing'>Billing</a> · Sign in</nav>"
FOOTER = "<footer>© Example Inc. All rights reserved. Privacy · Terms</footer>"


def article(title: str, *sections: tuple[str, str]) -> str:
    """A page as help centers serve it: the article between navigation and a footer."""
    body = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections)
    return (f"<html><head><title>{title} | Example Help</title></head><body>{CHROME}"
            f"<article><h1>{title}</h1>{body}</article>{FOOTER}</body></html>")  # fmt: skip


class DocsSite:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.pages: dict[str, str] = {}
        self.lastmod: dict[str, str] = {}
        self.status: dict[str, int] = {}  # a path answered with this status instead
        self.hanging: set[str] = set()  # paths that never answer (until the test ends)
        self.unlisted: set[str] = set()  # served, but not in the sitemap
        self.robots = ""
        self.sitemap_status = 200
        self.listed_elsewhere: list[str] = []  # absolute URLs the sitemap lists besides its pages
        self.child_sitemaps: list[str] = []  # with any, /sitemap.xml is an index listing these
        self.redirects: dict[str, str] = {}  # path -> Location of a 302
        self.raw: dict[str, tuple[bytes, dict[str, str]]] = {}  # path -> body and headers, as is
        self.requests: Counter[str] = Counter()
        self.bodies_sent: Counter[str] = Counter()  # 200s with a body, per path
        self.released = threading.Event()
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    @property
    def sitemap_url(self) -> str:
        return self.server.url_for("/sitemap.xml")

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def put(self, path: str, html: str, lastmod: str) -> None:
        self.pages[path] = html
        self.lastmod[path] = lastmod

    def remove(self, path: str) -> None:
        self.pages.pop(path)
        self.lastmod.pop(path)

    def close(self) -> None:
        self.released.set()

    def _handle(self, request: Request) -> Response:
        path = request.path
        self.requests[path] += 1
        if path == "/robots.txt":
            return Response(self.robots, status=200 if self.robots else 404)
        if path == "/sitemap.xml" and self.child_sitemaps:
            return Response(self._index(), content_type="application/xml")
        if path in ("/sitemap.xml", "/pages.xml"):
            return Response(self._sitemap(), status=self.sitemap_status,
                            content_type="application/xml")  # fmt: skip
        if path in self.redirects:
            return Response(status=302, headers={"Location": self.redirects[path]})
        if path in self.raw:
            body, headers = self.raw[path]
            return Response(body, headers=headers)
        if path in self.hanging:
            self.released.wait(timeout=120)
            return Response("too late", status=200)
        if path in self.status:
            return Response("error", status=self.status[path])
        if path not in self.pages:
            return Response("not found", status=404)
        body = self.pages[path].encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        self.bodies_sent[path] += 1
        return Response(body, content_type="text/html; charset=utf-8", headers={"ETag": etag})

    def _sitemap(self) -> str:
        listed = [p for p in [*self.pages, *self.status, *self.hanging, *self.redirects]
                  if p not in self.unlisted]  # fmt: skip
        entries = "".join(
            f"<url><loc>{self.url(p)}</loc>"
            + (f"<lastmod>{self.lastmod[p]}</lastmod>" if p in self.lastmod else "")
            + "</url>"
            for p in dict.fromkeys(listed)
        )
        entries += "".join(f"<url><loc>{url}</loc></url>" for url in self.listed_elsewhere)
        return f'<?xml version="1.0"?><urlset xmlns="{NAMESPACE}">{entries}</urlset>'

    def _index(self) -> str:
        children = [self.url("/pages.xml"), *self.child_sitemaps]
        entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in children)
        return f'<?xml version="1.0"?><sitemapindex xmlns="{NAMESPACE}">{entries}</sitemapindex>'


NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip file of ~1/1000 the size it inflates to: `megabytes` of zeros, then nothing."""
    return gzip.compress(b"\0" * (megabytes * 1_000_000), compresslevel=9)
