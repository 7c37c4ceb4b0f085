"""One sync of one source: bring its pages into a folder, then ingest that folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from knowledge.models import Progress, SyncReport
from knowledge.search.base import KnowledgeBase
from knowledge.sync.fetch import Fetcher
from knowledge.sync.git import GitSyncError, update_checkout
from knowledge.sync.site import SiteSyncError, mirror_site
from knowledge.sync.sources import INGEST_SOURCE, Source

#: Called as progress(stage, done, total): "fetching" pages, then "ingesting" documents.
SyncProgress = Callable[[str, int, int], None]
#: One sync per source at a time in a process (a worker's threads): they share its folder.
_running: dict[str, threading.Lock] = {}


def ingest_paths(
    kb: KnowledgeBase,
    paths: list[Path],
    *,
    collection: str | None,
    base_url: str | None,
    private: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """A plain `supportbot ingest PATH…`, reported as a sync of the source `ingest`."""
    report = SyncReport(source=INGEST_SOURCE, kind="folder", started_at=datetime.now(UTC))
    report.ingest = kb.ingest(paths, collection=collection, base_url=base_url, private=private,
                              progress=progress)  # fmt: skip
    report.seconds = report.ingest.seconds
    return report


def ingesting(progress: SyncProgress | None) -> Progress | None:
    """An ingest's progress reported as a sync's "ingesting" stage."""
    if progress is None:
        return None
    return lambda done, total, _chunks: progress("ingesting", done, total)


def source_folder(data_dir: Path, source: Source) -> Path:
    """Where a sitemap source's mirror or a Git source's checkout lives."""
    return data_dir / "sources" / source.name


def sync(kb: KnowledgeBase, source: Source, *, progress: SyncProgress | None = None) -> SyncReport:
    """Sync `source` into the index. Never raises for the source's own failures: they are in the
    report's `error` (nothing changed) or `problems` (those pages kept their previous version)."""
    with _running.setdefault(source.name, threading.Lock()):
        return _sync(kb, source, progress)


def _sync(kb: KnowledgeBase, source: Source, progress: SyncProgress | None) -> SyncReport:
    started = time.perf_counter()
    report = SyncReport(source=source.name, kind=source.kind, started_at=datetime.now(UTC))
    folder = source_folder(kb.settings.data_dir, source)
    try:
        paths, collection, base_url = _gather(kb, source, folder, report, progress)
    except (SiteSyncError, GitSyncError) as exc:
        report.error = str(exc)
    else:
        report.ingest = kb.ingest(paths, collection=collection, base_url=base_url,
                                  private=source.private, progress=ingesting(progress))  # fmt: skip
    report.seconds = time.perf_counter() - started
    return report


def _gather(
    kb: KnowledgeBase,
    source: Source,
    folder: Path,
    report: SyncReport,
    progress: SyncProgress | None,
) -> tuple[list[Path], str | None, str | None]:
    """The folder to ingest, its collection and base URL, once the source's pages are in it."""
    if source.kind == "sitemap":
        with Fetcher(
            allowed=source.allowed(),
            requests_per_second=source.requests_per_second,
            timeout_s=source.timeout_s,
            max_bytes=int(kb.settings.max_file_mb * 1_000_000),
        ) as fetcher:
            mirrored = mirror_site(
                source.sitemap,
                folder,
                fetcher,
                (lambda done, total: progress("fetching", done, total)) if progress else None,
            )
        report.listed, report.fetched = mirrored.listed, mirrored.fetched
        report.skipped, report.problems = mirrored.skipped, mirrored.problems
        return [folder], source.target_collection, None
    collection = source.collection or None
    base_url = source.base_url or None
    if source.kind == "git":
        report.commit = update_checkout(source, folder)
        return [folder / source.folder if source.folder else folder], collection, base_url
    return [Path(source.folder)], collection, base_url
