"""`supportbot ingest`, `sync` and `sources`: docs into the index, from folders, sites and Git.

Registered on the main command in bot/cli/commands.py. A job runs here when this process can
open the index. When a worker holds it (Milvus Lite allows one process), the job is handed to
that worker through the broker and followed in the records until it ends, so the bot keeps
answering.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import read_settings
from bot.cli.console import console, errors
from bot.cli.progress import ingest_progress, sync_progress
from knowledge.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

    from knowledge.models import SyncReport
    from knowledge.records.syncs import SyncLog
    from knowledge.search.base import KnowledgeBase
    from knowledge.sync.sources import Source

#: Where a source's `notify` may point: the platforms with a notice task beside their adapter.
NOTIFY_PLATFORMS = ("slack", "discord")
#: A job no worker has started by then: the index is held by something else, or the worker's
#: threads are all busy. It stays queued; the command stops waiting and says so.
QUEUED_S = 120
_POLL_S = 0.5


@dataclass(frozen=True)
class Job:
    """Either a source to sync or paths to ingest."""

    source: Source | None = None
    paths: tuple[Path, ...] = ()
    collection: str | None = None
    base_url: str | None = None
    private: bool = False

    @property
    def name(self) -> str:
        from knowledge.sync.sources import INGEST_SOURCE

        return self.source.name if self.source else INGEST_SOURCE


def ingest(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Folders or files (markdown, HTML, text, PDF), or a site's sitemap URL "
            "(https://host/sitemap.xml).",
            metavar="PATH_OR_SITEMAP...",
        ),
    ],
    base_url: Annotated[
        str | None,
        typer.Option(help="Public URL of the docs root, for citations.", metavar="URL"),
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(
            help="Collection tag for these docs (default: their top-level folder, or the site's "
            "host for a sitemap).",
            metavar="NAME",
        ),
    ] = None,
    sitemap: Annotated[
        list[str] | None,
        typer.Option(help="A sitemap URL that doesn't end in .xml (repeatable).", metavar="URL"),
    ] = None,
    private: Annotated[
        bool,
        typer.Option(help="Their collection is private: answered only in channels that name it."),
    ] = False,
    private_network: Annotated[
        bool,
        typer.Option(
            help="The site is on a private network: it may be fetched from loopback and "
            "private addresses (never link-local ones)."
        ),
    ] = False,
) -> None:
    """Add new and changed documents to the index and drop those removed at their source.

    A sitemap is synced: only pages whose lastmod, ETag or text changed are fetched and embedded,
    and pages it no longer lists leave the index."""
    from knowledge.index.links import public_link
    from knowledge.sync.sources import is_sitemap_url, site_source

    if base_url and not public_link(base_url):
        errors.print(f"[red]error:[/red] --base-url {escape(base_url)!r} is not an http(s) URL, "
                     "such as https://help.example.com")  # fmt: skip
        raise typer.Exit(2)
    urls = [t for t in targets if is_sitemap_url(t)] + list(sitemap or [])
    paths = tuple(Path(t) for t in targets if not is_sitemap_url(t))
    jobs = [
        Job(source=site_source(url, collection, private=private, private_network=private_network))
        for url in urls
    ]
    if paths:
        jobs.append(Job(paths=paths, collection=collection, base_url=base_url, private=private))
    settings = read_settings()
    failed = [job for job in jobs if not _succeeded(run(settings, job))]
    if failed:
        raise typer.Exit(1)


def sync(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Sources to sync (default: all in the sources file).", metavar="NAME"),
    ] = None,
) -> None:
    """Sync the configured docs sources now, instead of waiting for their schedule."""
    settings = read_settings()
    configured = _configured(settings)
    unknown = sorted(set(names or []) - {s.name for s in configured})
    if unknown:
        listed = ", ".join(s.name for s in configured) or f"none in {settings.sources_file}"
        errors.print(f"[red]error:[/red] no source named {', '.join(unknown)} (sources: {listed})")
        raise typer.Exit(2)
    chosen = [s for s in configured if not names or s.name in names]
    if not chosen:
        errors.print(f"[red]error:[/red] no sources in {settings.sources_file} (see README)")
        raise typer.Exit(2)
    failed = [s for s in chosen if not _succeeded(run(settings, Job(source=s)))]
    if failed:
        raise typer.Exit(1)


def sources() -> None:
    """Each configured source with its latest sync: when, pages, changes and problems."""
    from knowledge.records.store import Records
    from knowledge.records.syncs import SyncLog

    settings = read_settings()
    configured = _configured(settings)
    records = Records(settings.resolved_records_url)
    try:
        latest = SyncLog(records).latest()
    finally:
        records.close()
    if not configured:
        console.print(f"No sources in {settings.sources_file}: see README, “Keeping docs fresh”.")
    table = Table("source", "kind", "every", "last sync", "pages", "changes", "problems")
    now = datetime.now(UTC)
    notes = []
    for name in [s.name for s in configured] + sorted(set(latest) - {s.name for s in configured}):
        source = next((s for s in configured if s.name == name), None)
        status = latest.get(name)
        report = status.report if status else None
        problems = (len(report.problems) + len(report.ingest.problems)) if report else 0
        if status and status.error:
            notes.append(f"{name}: {status.error}")
        if source and source.notify_channel and source.notify_channel[0] not in NOTIFY_PLATFORMS:
            notes.append(f"{name}: notify names {source.notify_channel[0]!r}; "
                         f"use one of {', '.join(NOTIFY_PLATFORMS)}")  # fmt: skip
        table.add_row(
            escape(name),
            escape(f"{source.kind} {source.location}") if source else "(not configured)",
            f"{source.every_minutes:g} min" if source else "",
            f"{status.state}, {_ago(now, status.updated_at)}" if status else "never",
            f"{report.ingest.ingested:,}" if report else "",
            _changes(report) if report else "",
            str(problems) if report else "",
        )
    console.print(table)
    for note in notes:
        errors.print(f"[yellow]{escape(note)}[/yellow]", highlight=False)


def run(settings: Settings, job: Job) -> SyncReport | None:
    """Run `job` here, or hand it to the worker that holds the index; its report, printed."""
    from knowledge.index.store import IndexLockedError, StoreUnavailableError
    from knowledge.search.base import KnowledgeBase
    from workers.answering.owner import worker_running

    try:
        kb = KnowledgeBase(settings)
    except IndexLockedError as exc:
        if not worker_running(settings):
            errors.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        console.print("A worker holds the index: handing the job to it (answers go on meanwhile).")
        report = _hand_over(settings, job)
    except StoreUnavailableError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    else:
        try:
            report = _here(settings, kb, job)
        except Exception as exc:
            from knowledge.disk import write_failure

            why = write_failure(exc, settings)
            if not why:
                raise
            errors.print(f"[red]error:[/red] {escape(why)}", highlight=False)
            raise typer.Exit(1) from None
        finally:
            kb.close()
    if report is not None:
        _print(report)
    return report


def _here(settings: Settings, kb: KnowledgeBase, job: Job) -> SyncReport:
    from knowledge.sync.notice import worth_telling
    from knowledge.sync.run import ingest_paths
    from knowledge.sync.run import sync as run_sync

    run_id = f"cli-{uuid.uuid4()}"
    log = _log(settings)
    previous = log.previous(job.name, run_id) if log else None
    _note(log, lambda found: found.running(run_id, job.name))
    if job.source is not None:
        with sync_progress(console) as progress:
            report = run_sync(kb, job.source, progress=progress)
        if job.source.notify_channel and worth_telling(report, previous.error if previous else ""):
            _tell(job.source.notify_channel, report)
    else:
        with ingest_progress(console) as counted:
            report = ingest_paths(kb, list(job.paths), collection=job.collection,
                                  base_url=job.base_url, private=job.private,
                                  progress=counted)  # fmt: skip
    _note(log, lambda found: found.finished(run_id, report))
    return report


def _tell(where: tuple[str, str], report: SyncReport) -> None:
    """The channel is told through the broker, by the delivery worker, as a worker's sync is."""
    from workers.enqueue import notice

    try:
        notice(_broker(), where, report)
    except Exception as exc:
        errors.print(f"[yellow]the notice for {where[0]} was not sent: {exc}[/yellow]")


def _broker() -> Celery:
    """The Celery app the workers listen on (the broker settings are worker settings)."""
    from knowledge.settings import load
    from workers.app import create_app
    from workers.settings import WorkerSettings

    return create_app(load(WorkerSettings))


def _hand_over(settings: Settings, job: Job) -> SyncReport | None:
    """Send the job to the index's worker, then follow its row in the records until it ends."""
    from workers.enqueue import ingest as enqueue_ingest
    from workers.enqueue import sync as enqueue_sync

    log = _log(settings)
    if log is None:
        errors.print("[red]error:[/red] the records can't be reached, so the job can't be followed")
        raise typer.Exit(2)
    run_id = f"cli-{uuid.uuid4()}"
    log.queued(run_id, job.name)
    app = _broker()
    try:
        if job.source is not None:
            enqueue_sync(app, job.source.model_dump(mode="json"), run_id=run_id)
        else:
            enqueue_ingest(app, [str(p.resolve()) for p in job.paths], collection=job.collection,
                           base_url=job.base_url, private=job.private, run_id=run_id)  # fmt: skip
    except Exception as exc:
        log.failed(run_id, f"the broker did not take it: {exc}")
        errors.print(f"[red]error:[/red] the broker did not take the job: {exc}")
        raise typer.Exit(2) from exc
    try:
        return _follow(log, run_id, stalled_s=settings.sync_stalled_s)
    except KeyboardInterrupt:
        console.print("Stopped following; the worker goes on (see `supportbot sources`).")
        raise typer.Exit(130) from None


def _follow(log: SyncLog, run_id: str, *, stalled_s: float) -> SyncReport | None:
    """Until the job ends; a running job whose worker stops beating has died with it."""
    with sync_progress(console) as progress:
        while True:
            status = log.status(run_id)
            if status is None or status.state in ("done", "failed"):
                break
            if status.total:
                progress(status.stage, status.done, status.total)
            stalled = (datetime.now(UTC) - status.updated_at).total_seconds()
            if status.state == "queued" and stalled > QUEUED_S:
                errors.print(
                    f"[red]error:[/red] no worker has taken the job in {QUEUED_S} s. Is one "
                    "running? The job stays queued for it (see `supportbot sources`)."
                )
                raise typer.Exit(1)
            if status.state == "running" and stalled > stalled_s:
                errors.print(f"[red]error:[/red] the worker has said nothing for {stalled:.0f} s: "
                             "it stopped during the job. It is sent again once a worker is "
                             "running (see `supportbot sources`).")  # fmt: skip
                raise typer.Exit(1)
            time.sleep(_POLL_S)
    if status is not None and status.report is None:
        errors.print(f"[red]error:[/red] the job failed in the worker: {escape(status.error)}",
                     highlight=False)  # fmt: skip
        raise typer.Exit(1)
    return status.report if status else None


def _print(report: SyncReport) -> None:
    for problem in [*report.problems, *report.ingest.problems]:
        errors.print(f"[yellow]skipped[/yellow] {escape(problem.path)}: {escape(problem.reason)}",
                     highlight=False)  # fmt: skip
    for flag in report.ingest.flagged:
        errors.print(f"[yellow]flagged[/yellow] {escape(flag.path)}: {escape(flag.reason)}",
                     highlight=False)  # fmt: skip
    if report.kind == "folder" and not report.error:
        console.print(report.ingest.summary(), highlight=False)
    else:
        console.print(report.summary(), highlight=False)


def _succeeded(report: SyncReport | None) -> bool:
    if report is None:
        return False
    if report.error:
        errors.print(f"[red]error:[/red] {escape(report.error)}")
        return False
    if report.ingest.ingested == 0:
        errors.print("[red]error:[/red] nothing could be ingested.")
        return False
    return True


def _configured(settings: Settings) -> list[Source]:
    from knowledge.sync.sources import SourceError, load_sources

    try:
        return load_sources(settings.sources_file)
    except SourceError as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _log(settings: Settings) -> SyncLog | None:
    """The records' syncs, or None when the records can't be opened (a job run here goes on)."""
    from sqlalchemy.exc import OperationalError

    from knowledge.records.store import Records
    from knowledge.records.syncs import SyncLog

    try:
        return SyncLog(Records(settings.resolved_records_url))
    except OperationalError as exc:
        errors.print(f"[yellow]the records can't be reached; the run is not noted: {exc}[/yellow]")
        return None


def _note(log: SyncLog | None, write: Callable[[SyncLog], None]) -> None:
    from sqlalchemy.exc import OperationalError

    if log is None:
        return
    try:
        write(log)
    except OperationalError as exc:
        errors.print(f"[yellow]the records did not take the run's report: {exc}[/yellow]")


def _changes(report: SyncReport) -> str:
    ingest = report.ingest
    return f"+{ingest.added} ~{ingest.updated} -{ingest.deleted}"


def _ago(now: datetime, moment: datetime) -> str:
    minutes = (now - moment).total_seconds() / 60
    if minutes < 1:
        return "just now"
    return f"{minutes:.0f} min ago" if minutes < 120 else f"{minutes / 60:.0f} h ago"
