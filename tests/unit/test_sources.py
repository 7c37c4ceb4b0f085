"""Pure parts of the docs sync: the sources file, sitemaps, mirror paths and page text."""

from __future__ import annotations

import gzip

import pytest

from knowledge.sync.pages import mirror_path, page_markdown
from knowledge.sync.sitemap import SitemapError, parse_sitemap
from knowledge.sync.sources import SourceError, is_sitemap_url, load_sources, site_source
from tests.support.docs_site import article

LIMIT = 1_000_000

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> https://help.example.com/a </loc><lastmod>2026-11-01</lastmod></url>
  <url><loc>https://help.example.com/b</loc></url>
  <url><lastmod>2026-11-01</lastmod></url>
</urlset>"""


def test_a_urlset_lists_pages_with_their_lastmod():
    found = parse_sitemap(URLSET, max_bytes=LIMIT)
    assert [(p.url, p.lastmod) for p in found.pages] == [
        ("https://help.example.com/a", "2026-11-01"),
        ("https://help.example.com/b", ""),
    ]
    assert found.sitemaps == []
    assert parse_sitemap(gzip.compress(URLSET), max_bytes=LIMIT).pages == found.pages


def test_a_sitemap_index_lists_sitemaps():
    index = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://h/s1.xml</loc></sitemap></sitemapindex>")  # fmt: skip
    assert parse_sitemap(index, max_bytes=LIMIT).sitemaps == ["https://h/s1.xml"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html><body>Not found</body></html>", "the document is a <html>"),
        (b"not xml at all", "XML error"),
        (b"\x1f\x8bbroken", "broken gzip"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset>&a;</urlset>', "XML"),
    ],
)
def test_what_is_not_a_sitemap_says_why(body, why):
    with pytest.raises(SitemapError, match=why):
        parse_sitemap(body, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://h/hc/en-us/articles/123-Reset", "hc/en-us/articles/123-Reset.md"),
        ("https://h/", "index.md"),
        ("https://h/docs/", "docs/index.md"),
        ("https://h/guide/start.html", "guide/start.md"),
        ("https://h/a%20b/../c", "a_b/c.md"),
        ("https://h/.hidden", "hidden.md"),
    ],
)
def test_mirror_paths_stay_inside_the_mirror(url, path):
    assert mirror_path(url) == path


def test_a_query_string_keeps_pages_apart():
    assert mirror_path("https://h/article?id=1") != mirror_path("https://h/article?id=2")


def test_a_page_keeps_its_headings_and_loses_its_chrome():
    text = page_markdown(
        article("Reset your password", ("The email never came", "Check the spam folder.")).encode(),
        "https://help.example.com/reset",
    )
    assert text.startswith("---\nurl: https://help.example.com/reset\ntitle: Reset your password\n")
    assert "# Reset your password" in text and "## The email never came" in text
    assert "All rights reserved" not in text and "Billing" not in text


def test_a_page_without_text_is_refused():
    with pytest.raises(ValueError, match="no readable text"):
        page_markdown(b"<html><body><script>app()</script></body></html>", "https://h/x")


def test_sources_file(tmp_path):
    path = tmp_path / "sources.yml"
    assert load_sources(path) == []
    path.write_text(
        "sources:\n"
        "  - {name: help, sitemap: 'https://help.example.com/sitemap.xml', every_minutes: 5,"
        " notify: 'slack:C0DOCS'}\n"
        "  - {name: docs, git: 'https://git.example.com/docs.git', folder: docs}\n"
        "  - {name: handbook, folder: /srv/handbook, collection: internal}\n"
    )
    help_center, docs, handbook = load_sources(path)
    assert (help_center.kind, help_center.every_minutes, help_center.target_collection) == (
        "sitemap", 5, "help")  # fmt: skip
    assert help_center.notify_channel == ("slack", "C0DOCS")
    assert (docs.kind, docs.location) == ("git", "https://git.example.com/docs.git docs")
    assert docs.notify_channel is None
    assert (handbook.kind, handbook.target_collection) == ("folder", "internal")


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("{name: a}", "exactly one of"),
        ("{name: a, sitemap: 'https://h/s.xml', git: x}", "exactly one of"),
        ("{name: a, sitemap: 'https://h/s.xml', folder: x}", "exactly one of"),
        ("{name: a, sitemap: 'ftp://h/s.xml'}", "http"),
        ("{name: '../etc', folder: x}", "sources.0.name"),
        ("{name: a, folder: x, every_minutes: 0}", "every_minutes"),
        ("{name: a, folder: x, notify: '#docs'}", "PLATFORM:CHANNEL_ID"),
        ("{name: a, folder: x, base_url: 'docs.example.com'}", "a base URL is an http"),
        ("{name: a, sitemap: 'https://h/s.xml', hosts: ['a b']}", "not a host name: a b"),
    ],
)
def test_a_wrong_source_is_named(tmp_path, entry, why):
    path = tmp_path / "sources.yml"
    path.write_text(f"sources:\n  - {entry}\n")
    with pytest.raises(SourceError, match=why):
        load_sources(path)


def test_two_sources_with_one_name_are_refused(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  - {name: a, folder: x}\n  - {name: a, folder: y}\n")
    with pytest.raises(SourceError, match="repeated: a"):
        load_sources(path)


def test_a_sitemap_url_is_told_from_a_path():
    assert is_sitemap_url("https://help.example.com/sitemap.xml")
    assert is_sitemap_url("http://127.0.0.1:8000/sitemap_index.xml.gz")
    assert not is_sitemap_url("docs/sitemap.xml")
    assert not is_sitemap_url("https://help.example.com/")
    assert site_source("https://help.example.com/sitemap.xml", None).name == "help.example.com"
