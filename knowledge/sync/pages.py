"""A fetched web page as a markdown file of the mirror: the article's text with its headings (so
sections keep their anchors), navigation and footers left out, and front matter that tells the
ingest the page's real URL and title."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit

import trafilatura
import yaml
from trafilatura.settings import use_config

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_SEGMENT = 120
#: trafilatura falls back to the whole page's text (menus and footers, no headings) when the
#: article it found is under 250 characters; a help article can be one short answer.
_EXTRACTION = use_config()
_EXTRACTION.set("DEFAULT", "MIN_EXTRACTED_SIZE", "10")
_EXTRACTION.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")


def page_markdown(html: bytes, url: str) -> str:
    """The page as markdown with front matter (`url`, `title`). Raises `ValueError` when the page
    holds no readable text."""
    text = html.decode("utf-8", errors="replace")
    body = trafilatura.extract(
        text,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_links=False,
        include_images=False,
        include_formatting=True,
        favor_recall=True,
        config=_EXTRACTION,
    )
    if not body or not body.strip():
        raise ValueError("the page holds no readable text")
    metadata = trafilatura.extract_metadata(text, default_url=url)
    title = (metadata.title if metadata else None) or ""
    front = yaml.safe_dump({"url": url, "title": title}, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n\n{body.strip()}\n"


def mirror_path(url: str) -> str:
    """Where a page lives in the mirror: its URL path as folders, `.md` added. `/` and `/docs/`
    become `index.md` files; a query string adds a short hash so two pages never share a file."""
    parts = urlsplit(url)
    segments = [_UNSAFE.sub("_", unquote(s))[:_MAX_SEGMENT] for s in parts.path.split("/") if s]
    segments = [s for s in segments if s not in (".", "..", "_")] or []
    if not segments or parts.path.endswith("/"):
        segments.append("index")
    name = segments[-1].removesuffix(".html").removesuffix(".htm") or "index"
    if parts.query:
        name += "-" + hashlib.sha256(parts.query.encode()).hexdigest()[:10]
    segments[-1] = name.lstrip(".") or "index"
    return "/".join(segments) + ".md"
