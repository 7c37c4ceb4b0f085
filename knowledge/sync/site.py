"""A website source, mirrored as markdown files from its sitemap.

Each sync reads the sitemap (and the sitemaps it lists), then for each page:
- leaves it out when it is not on the source's hosts (nor is a child sitemap that isn't): one
  line per host in the report;
- skips it without a request when the sitemap's `lastmod` is the one seen last time;
- else asks for it with the previous ETag / Last-Modified (a 304 costs no body);
- writes the mirror file only when the page's text changed.
Pages the sitemap no longer lists are removed from the mirror. A page that fails keeps its
previous file; so do the pages of a child sitemap that failed. A sitemap that fails, or lists no
page at all (a broken deploy, not an empty help center), stops the sync with nothing changed.

What each page looked like is kept in `.sync-state.json` beside the files (the ingest skips
hidden files).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from knowledge.files import write_whole
from knowledge.models import FileProblem
from knowledge.sync.allowed import host_key, shown
from knowledge.sync.fetch import Fetcher
from knowledge.sync.pages import mirror_path, page_markdown
from knowledge.sync.sitemap import Listed, SitemapError, parse_sitemap

STATE_FILE = ".sync-state.json"
#: Sitemap indexes nest; a loop or a runaway generator stops here.
_MAX_SITEMAPS = 200

#: Called as progress(pages done, pages listed).
PageProgress = Callable[[int, int], None]


class SiteSyncError(RuntimeError):
    """The sitemap could not be used; the mirror is as it was."""


@dataclass
class PageState:
    file: str
    sitemap: str
    lastmod: str = ""
    etag: str = ""
    last_modified: str = ""
    sha256: str = ""


@dataclass
class MirrorReport:
    listed: int = 0
    fetched: int = 0
    skipped: int = 0
    removed: int = 0
    problems: list[FileProblem] = field(default_factory=list)


def mirror_site(
    sitemap_url: str, root: Path, fetcher: Fetcher, progress: PageProgress | None = None
) -> MirrorReport:
    """Bring the mirror folder `root` up to date with the site. Raises `SiteSyncError`."""
    root.mkdir(parents=True, exist_ok=True)
    state = _load_state(root)
    report = MirrorReport()
    listed, failed_sitemaps = _read_sitemaps(sitemap_url, fetcher, report)
    report.listed = len(listed)
    for done, (page, sitemap) in enumerate(listed.values(), start=1):
        _sync_page(page, sitemap, root, state, fetcher, report)
        if done % 25 == 0:
            _save_state(root, state)  # a sync cut short keeps what it learnt
        if progress:
            progress(done, len(listed))
    for url in [u for u in state if u not in listed]:
        if state[url].sitemap in failed_sitemaps:
            continue  # its sitemap couldn't be read this time: not a sign it's gone
        (root / state.pop(url).file).unlink(missing_ok=True)
        report.removed += 1
    _save_state(root, state)
    return report


def _read_sitemaps(
    url: str, fetcher: Fetcher, report: MirrorReport
) -> tuple[dict[str, tuple[Listed, str]], set[str]]:
    """Every page listed, by URL, with the sitemap that listed it first (a page listed twice
    counts once); and the child sitemaps that failed."""
    listed: dict[str, tuple[Listed, str]] = {}
    failed: set[str] = set()
    refused = _Refused()
    todo, seen = [url], set[str]()
    while todo and len(seen) < _MAX_SITEMAPS:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        fetched = fetcher.get(current)
        try:
            if fetched.status != "changed":
                raise SitemapError(fetched.reason or "no body")
            found = parse_sitemap(fetched.body, max_bytes=fetcher.max_bytes)
        except SitemapError as exc:
            if current == url:
                raise SiteSyncError(f"the sitemap {url} could not be read: {exc}") from exc
            failed.add(current)
            report.problems.append(FileProblem(path=current, reason=f"sitemap: {exc}"))
            continue
        for child in found.sitemaps:
            if why := fetcher.allowed.url_refusal(child):
                refused.add(child, why, "sitemap")
            else:
                todo.append(child)
        for page in found.pages:
            if why := fetcher.allowed.url_refusal(page.url):
                refused.add(page.url, why, "page")
            else:
                listed.setdefault(page.url, (page, current))
    report.problems += refused.problems()
    if not listed and not failed:
        raise SiteSyncError(f"the sitemap {url} lists no pages; the index is left as it was")
    return listed, failed


class _Refused:
    """Listed URLs left out, counted per host and reason: a sitemap listing 10,000 pages on an
    internal host is one line of the report, not 10,000."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str], tuple[str, int]] = {}

    def add(self, url: str, why: str, kind: str) -> None:
        key = host_key(url)
        where = shown(key) if key else url.split(":", 1)[0]
        first, count = self._seen.get((where, why, kind), (url, 0))
        self._seen[(where, why, kind)] = (first, count + 1)

    def problems(self) -> list[FileProblem]:
        found = []
        for (_, why, kind), (first, count) in self._seen.items():
            what = kind if count == 1 else f"{count} {kind}s like it"
            found.append(FileProblem(path=first, reason=f"{what} not fetched ({why})"))
        return found


def _sync_page(
    page: Listed,
    sitemap: str,
    root: Path,
    state: dict[str, PageState],
    fetcher: Fetcher,
    report: MirrorReport,
) -> None:
    before = state.get(page.url)
    file = root / (before.file if before else mirror_path(page.url))
    if before and page.lastmod and page.lastmod == before.lastmod and file.exists():
        report.skipped += 1
        return
    fetched = fetcher.get(
        page.url,
        etag=before.etag if before and file.exists() else "",
        last_modified=before.last_modified if before and file.exists() else "",
    )
    if fetched.status == "not_modified" and before:
        before.lastmod = page.lastmod
        report.skipped += 1
        return
    if fetched.status != "changed":
        report.problems.append(FileProblem(path=page.url, reason=fetched.reason or "no body"))
        return
    report.fetched += 1
    digest = hashlib.sha256(fetched.body).hexdigest()
    if not (before and before.sha256 == digest and file.exists()):
        try:
            text = page_markdown(fetched.body, fetched.url or page.url)
        except ValueError as exc:
            report.problems.append(FileProblem(path=page.url, reason=str(exc)))
            return
        write_whole(file, text)
    state[page.url] = PageState(
        file=file.relative_to(root).as_posix(),
        sitemap=sitemap,
        lastmod=page.lastmod,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        sha256=digest,
    )


def _load_state(root: Path) -> dict[str, PageState]:
    path = root / STATE_FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {url: PageState(**entry) for url, entry in raw.items()}
    except (ValueError, TypeError):
        return {}  # unreadable: every page is fetched again, nothing is lost


def _save_state(root: Path, state: dict[str, PageState]) -> None:
    write_whole(root / STATE_FILE, json.dumps({u: asdict(s) for u, s in state.items()}, indent=1))
