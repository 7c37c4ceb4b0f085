"""Links and titles as the bot may show them: a doc decides its own `url:` and title, so both are
untrusted text until checked.

At ingest a link is kept only when it is an absolute http(s) URL with a host and nothing a URL
can't hold (spaces, control characters, `<`, `>`, `"`, `|`, backticks...):
`https://help.example/a> <!channel>` is no link at all, and a page without one is cited by its
title alone, never by a `file://` path that names the server's folders. When a link is posted,
the characters a platform would read as markup are percent-encoded first (`escaped=True`), so a
link from an older index is still safe.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

#: What RFC 3986 allows in a URL, percent signs included; anything else makes it no link.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_SAFE = "-._~:/?#[]@!$&'()*+,;=%"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+")
MAX_TITLE_CHARS = 200


def public_link(url: str, *, escaped: bool = False) -> str:
    """`url` when it is a link a reader may be sent to (http or https, a host, only URL
    characters), else ''. `escaped`: percent-encode what a URL can't hold (a space, `<`, `|`)
    rather than refuse it; control characters are refused either way."""
    url = url.strip()
    if escaped and not _CONTROL.search(url):
        url = quote(url, safe=_SAFE)
    if not url or not _URL_CHARS.fullmatch(url):
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    if "@" in parts.netloc or not _HOST.fullmatch(parts.hostname):
        return ""  # user:password@ hides where a link goes (and leaks the password)
    return url


def same_host(url: str, other: str) -> bool:
    """Whether two links point at the same host (name and port)."""
    first, second = urlsplit(url), urlsplit(other)
    return (first.hostname, first.port) == (second.hostname, second.port)


def plain_title(title: str) -> str:
    """A title on one line (a raw newline could forge a line of its own), at most 200 chars."""
    flat = " ".join(title.split())
    return flat if len(flat) <= MAX_TITLE_CHARS else flat[: MAX_TITLE_CHARS - 1] + "…"
