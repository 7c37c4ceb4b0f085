"""Syncing docs sources into a real index: a site by its sitemap on 127.0.0.1, and a local Git
repository, with pages added, changed, removed and failing between syncs; and a hostile site
that tries to send the sync to a second server on 127.0.0.1 standing for an internal host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from git import Actor, Repo
from pytest_httpserver import HTTPServer

from knowledge.search.base import KnowledgeBase
from knowledge.sync.run import sync
from knowledge.sync.sources import Source
from tests.conftest import make_settings
from tests.support.docs_site import DocsSite, article, gzip_bomb

pytestmark = pytest.mark.slow


@pytest.fixture
def site(httpserver) -> Iterator[DocsSite]:
    docs = DocsSite(httpserver)
    docs.put("/hc/articles/reset-password", article(
        "Reset your password",
        ("Send a reset link", "Open Settings, choose Security and click Send reset link."),
        ("The email never came", "Check the spam folder; the link expires after 30 minutes."),
    ), "2026-11-01")  # fmt: skip
    docs.put("/hc/articles/team-plan", article(
        "Plans and pricing",
        ("Team plan", "The Team plan costs 12 dollars per seat per month, billed yearly."),
    ), "2026-11-01")  # fmt: skip
    docs.put("/hc/articles/export", article(
        "Export your workspace",
        ("Export to CSV", "Choose Workspace, then Export, then CSV; a zip arrives by email."),
    ), "2026-11-01")  # fmt: skip
    yield docs
    docs.close()


@pytest.fixture
def internal() -> Iterator[DocsSite]:
    """Another host (another port of 127.0.0.1): an admin page nobody should see in chat."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    admin = DocsSite(server)
    admin.put("/admin/salaries", article(
        "Salary bands", ("Support", "Support agents earn between 41,000 and 55,000 a year."),
    ), "2026-11-01")  # fmt: skip
    yield admin
    admin.close()
    server.clear()
    server.stop()


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    knowledge = KnowledgeBase(make_settings(tmp_path / "data", max_file_mb=0.05))
    yield knowledge
    knowledge.close()


def site_source(docs: DocsSite) -> Source:
    """The site on 127.0.0.1: a private address, which the source must allow."""
    return Source(name="help", sitemap=docs.sitemap_url, requests_per_second=1000, timeout_s=1,
                  allow_private_network=True)  # fmt: skip


def best(kb: KnowledgeBase, question: str):
    return kb.search(question, top_k=1)[0]


def test_a_site_is_mirrored_with_real_urls_and_sections_and_resynced_without_refetching(kb, site):
    first = sync(kb, site_source(site))
    assert first.error == "" and first.problems == []
    assert (first.listed, first.fetched, first.ingest.added) == (3, 3, 3)
    page = best(kb, "how much is the team plan per seat")
    assert page.url.startswith(site.url("/hc/articles/team-plan"))
    assert page.title == "Plans and pricing"
    assert "12 dollars per seat" in page.text
    assert "All rights reserved" not in page.text and "Sign in" not in page.text
    reset = best(kb, "the reset email never arrived")
    assert reset.url == site.url("/hc/articles/reset-password") + "#the-email-never-came"

    again = sync(kb, site_source(site))
    assert (again.fetched, again.skipped) == (0, 3)  # lastmod unchanged: not even asked
    assert (again.ingest.added, again.ingest.updated, again.ingest.deleted) == (0, 0, 0)
    assert again.ingest.unchanged == 3
    assert sum(site.bodies_sent.values()) == 3


def test_changes_at_the_source_reach_the_index_and_failures_keep_the_previous_version(kb, site):
    sync(kb, site_source(site))
    site.put("/hc/articles/team-plan", article(
        "Plans and pricing",
        ("Team plan", "The Team plan costs 15 dollars per seat per month, billed yearly."),
    ), "2026-11-20")  # fmt: skip
    site.remove("/hc/articles/export")
    site.put("/hc/articles/sso", article(
        "Single sign-on", ("Set up SAML", "Admins add the identity provider's metadata URL."),
    ), "2026-11-20")  # fmt: skip
    site.status["/hc/articles/reset-password"] = 500  # listed, but failing this time
    site.status["/hc/articles/broken-new"] = 503  # new, and failing: never indexed
    site.hanging.add("/hc/articles/slow")
    site.put("/hc/articles/huge", article("Huge", ("All of it", "word " * 20_000)), "2026-11-20")
    site.lastmod["/hc/articles/reset-password"] = "2026-11-20"

    report = sync(kb, site_source(site))

    assert report.error == ""
    assert (report.ingest.added, report.ingest.updated, report.ingest.deleted) == (1, 1, 1)
    why = {urlsplit(p.path).path: p.reason for p in report.problems}
    assert why["/hc/articles/reset-password"] == "HTTP 500"
    assert why["/hc/articles/broken-new"] == "HTTP 503"
    assert why["/hc/articles/slow"].startswith("timed out")
    assert "over the 0.05 MB limit" in why["/hc/articles/huge"]
    assert "15 dollars per seat" in best(kb, "team plan price per seat").text
    assert "sso" in best(kb, "set up SAML single sign-on").url
    assert "reset link" in best(kb, "how do I reset my password").text  # the previous version
    urls = {s.url.split("#")[0] for s in kb.search("export workspace to CSV", top_k=10)}
    assert site.url("/hc/articles/export") not in urls


def test_a_broken_sitemap_changes_nothing(kb, site):
    sync(kb, site_source(site))
    site.sitemap_status = 502
    failed = sync(kb, site_source(site))
    assert "could not be read" in failed.error and "HTTP 502" in failed.error
    site.sitemap_status = 200
    site.pages.clear()
    site.lastmod.clear()
    empty = sync(kb, site_source(site))
    assert "lists no pages" in empty.error
    assert "12 dollars per seat" in best(kb, "team plan price per seat").text


def test_robots_txt_is_honoured(kb, site):
    site.robots = "User-agent: *\nDisallow: /hc/articles/export\n"
    report = sync(kb, site_source(site))
    assert [p.reason for p in report.problems] == ["robots.txt disallows it"]
    assert site.requests["/hc/articles/export"] == 0
    assert report.ingest.added == 2


def salaries_found(kb: KnowledgeBase) -> bool:
    return any("41,000" in s.text for s in kb.search("support agent salary bands", top_k=10))


def test_pages_and_sitemaps_a_sitemap_lists_on_other_hosts_are_never_fetched(kb, site, internal):
    site.listed_elsewhere = [
        internal.url("/admin/salaries"),
        internal.url("/admin/other"),
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # cloud metadata
    ]
    site.child_sitemaps = [internal.sitemap_url]  # a sitemap index naming the internal sitemap
    report = sync(kb, site_source(site))

    assert report.error == "" and report.ingest.added == 3  # the site's own pages
    assert sum(internal.requests.values()) == 0  # not one request reached the other host
    host = internal.url("/").split("//")[1].rstrip("/")
    why = {p.path: p.reason for p in report.problems}
    assert why == {
        internal.url("/admin/salaries"):
            f"2 pages like it not fetched (on {host}, not one of the source's hosts (sources.yml: "
            "`hosts:`))",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/":
            "page not fetched (on 169.254.169.254, not one of the source's hosts (sources.yml: "
            "`hosts:`))",
        internal.sitemap_url:
            f"sitemap not fetched (on {host}, not one of the source's hosts (sources.yml: "
            "`hosts:`))",
    }  # fmt: skip
    assert not salaries_found(kb)


def test_a_redirect_is_checked_at_every_hop_and_the_page_cited_where_it_landed(kb, site, internal):
    site.redirects["/hc/articles/salaries"] = internal.url("/admin/salaries")  # another host
    site.redirects["/hc/old-export"] = site.url("/hc/articles/moved-export")  # same host: fine
    site.put("/hc/articles/moved-export", article(
        "Export to PDF", ("Print a board", "Choose Board, then Print, then Save as PDF."),
    ), "2026-11-01")  # fmt: skip
    site.unlisted.add("/hc/articles/moved-export")
    site.redirects["/hc/articles/staff"] = internal.url("/admin/salaries")
    listed_host = internal.url("/").split("//")[1].rstrip("/")
    internal.robots = "User-agent: *\nDisallow: /\n"  # a host the source lists, closed to robots
    source = site_source(site).model_copy(update={"hosts": [listed_host]})
    del site.redirects["/hc/articles/salaries"]

    report = sync(kb, source)

    why = {urlsplit(p.path).path: p.reason for p in report.problems}
    assert why["/hc/articles/staff"] == (
        f"redirected to {internal.url('/admin/salaries')}: robots.txt disallows it"
    )
    assert internal.requests["/admin/salaries"] == 0 and internal.requests["/robots.txt"] == 1
    pdf = best(kb, "how do I save a board as a PDF")
    assert pdf.url.startswith(site.url("/hc/articles/moved-export"))  # where the text lives

    site.redirects["/hc/articles/salaries"] = internal.url("/admin/salaries")
    again = sync(kb, site_source(site))  # the other host not listed this time
    why = {urlsplit(p.path).path: p.reason for p in again.problems}
    assert why["/hc/articles/salaries"] == (
        f"redirected to {internal.url('/admin/salaries')}: on {listed_host}, not one of the "
        "source's hosts (sources.yml: `hosts:`)"
    )
    assert internal.requests["/admin/salaries"] == 0
    assert not salaries_found(kb)


def test_a_gzip_bomb_is_abandoned_at_the_size_limit(kb, site):
    site.raw["/sitemap.xml.gz"] = (gzip_bomb(30), {"Content-Type": "application/x-gzip"})
    bombed = Source(name="bombed", sitemap=site.url("/sitemap.xml.gz"), timeout_s=5,
                    allow_private_network=True)  # fmt: skip
    report = sync(kb, bombed)
    assert report.error == (
        f"the sitemap {site.url('/sitemap.xml.gz')} could not be read: a gzip file that inflates "
        "to more than 0.05 MB, the size limit"
    )
    site.raw["/hc/articles/encoded"] = (
        gzip_bomb(30),
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
    )
    site.put("/hc/articles/encoded", "listed", "2026-11-01")  # listed; served from `raw`
    report = sync(kb, site_source(site))
    why = {urlsplit(p.path).path: p.reason for p in report.problems}
    assert why["/hc/articles/encoded"] == "over the 0.05 MB limit once decompressed"
    assert report.ingest.added == 3


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_site_on_a_private_address_is_refused_unless_its_source_allows_it(kb, site, host):
    sitemap = f"http://{host}:{site.server.port}/sitemap.xml"
    refused = sync(kb, Source(name="intranet", sitemap=sitemap, timeout_s=5))
    assert refused.error == (
        f"the sitemap {sitemap} could not be read: not connecting to {host}: 127.0.0.1 is a "
        "loopback address; a source reaches one only with allow_private_network: true"
    )
    assert sum(site.requests.values()) == 0  # checked where the connection is made: none made
    pages_on = f"localhost:{site.server.port}"  # the site's own links name it so
    allowed = sync(kb, Source(name="intranet", sitemap=sitemap, timeout_s=5, hosts=[pages_on],
                              allow_private_network=True))  # fmt: skip
    assert allowed.error == "" and allowed.ingest.added == 3


def commit(repo: Repo, files: dict[str, str | None], message: str) -> None:
    root = Path(repo.working_tree_dir or ".")
    for name, text in files.items():
        path = root / name
        if text is None:
            repo.index.remove([name], working_tree=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        repo.index.add([name])
    author = Actor("Docs Writer", "docs@example.com")
    repo.index.commit(message, author=author, committer=author)


def test_a_git_source_follows_commits(kb, tmp_path):
    upstream = Repo.init(tmp_path / "upstream", initial_branch="main")
    commit(upstream, {
        "docs/refunds.md": "# Refunds\n\nRefunds take 5 business days to reach your card.\n",
        "docs/sso.md": "# Single sign-on\n\nAdmins set up SAML from the Security page.\n",
        "README.md": "# Internal\n\nNot part of the docs folder.\n",
    }, "first docs")  # fmt: skip
    source = Source(name="product", git=str(tmp_path / "upstream"), folder="docs",
                    base_url="https://docs.example.com")  # fmt: skip

    first = sync(kb, source)
    assert first.error == "" and first.commit == upstream.head.commit.hexsha
    assert first.ingest.added == 2
    assert best(kb, "how long do refunds take").url == "https://docs.example.com/refunds"

    commit(upstream, {
        "docs/refunds.md": "# Refunds\n\nRefunds take 10 business days to reach your card.\n",
        "docs/sso.md": None,
        "docs/api.md": "# API limits\n\nThe API allows 100 requests per minute per token.\n",
    }, "refunds are slower; sso moved")  # fmt: skip
    second = sync(kb, source)
    assert second.commit == upstream.head.commit.hexsha
    assert (second.ingest.added, second.ingest.updated, second.ingest.deleted) == (1, 1, 1)
    assert {(c.kind, c.title, c.url) for c in second.ingest.changes} == {
        ("added", "API limits", "https://docs.example.com/api"),
        ("changed", "Refunds", "https://docs.example.com/refunds"),
        ("removed", "Single sign-on", "https://docs.example.com/sso"),
    }
    assert "10 business days" in best(kb, "how long do refunds take").text

    (tmp_path / "upstream").rename(tmp_path / "gone")
    third = sync(kb, source)
    assert third.error.startswith("git:")
    assert "10 business days" in best(kb, "how long do refunds take").text
