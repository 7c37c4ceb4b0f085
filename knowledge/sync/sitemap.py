"""Reading a sitemap: the pages a site lists, with when each last changed.

Both kinds of file are read: a `<urlset>` of pages and a `<sitemapindex>` of further sitemaps
(help centers with many articles split them), gzipped or not. XML is parsed with defusedxml, as
a sitemap comes from the network, and a gzipped one is inflated no further than the size limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from knowledge.sync.inflate import GZIP_MAGIC, BrokenError, TooLargeError, inflate


class SitemapError(ValueError):
    """The body is not a sitemap."""


@dataclass(frozen=True)
class Listed:
    """A page as the sitemap lists it; `lastmod` is the site's own word, '' when not given."""

    url: str
    lastmod: str = ""


@dataclass
class Sitemap:
    pages: list[Listed] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


def parse_sitemap(body: bytes, *, max_bytes: int) -> Sitemap:
    """Pages and child sitemaps of one sitemap file (at most `max_bytes` once inflated).
    Raises `SitemapError`."""
    if body[:2] == GZIP_MAGIC:
        try:
            body = inflate(body, "gzip", max_bytes)
        except TooLargeError as exc:
            raise SitemapError(f"a gzip file that {exc}, the size limit") from exc
        except BrokenError as exc:
            raise SitemapError(f"a broken gzip file: {exc}") from exc
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise SitemapError(f"not a sitemap (XML error: {exc})") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap (the document is a <{kind}>)")
    found = Sitemap()
    for entry in root:
        loc, lastmod = _child_text(entry, "loc"), _child_text(entry, "lastmod")
        if not loc:
            continue
        if kind == "urlset":
            found.pages.append(Listed(loc, lastmod))
        else:
            found.sitemaps.append(loc)
    return found


def _local(tag: str) -> str:
    """`{http://www.sitemaps.org/schemas/sitemap/0.9}url` -> `url`."""
    return tag.rsplit("}", 1)[-1]


def _child_text(entry: Element, name: str) -> str:
    for child in entry:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""
