"""Ingest and sync progress a person can follow: a live bar on a terminal, and plain lines in a log.

Into a pipe or a file (CI, cron, `honcho`), a live bar prints nothing until it ends; there, one
line every tenth of the run (and at least every `EVERY` documents) says how far it got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from knowledge.models import Progress, plural

EVERY = 500


def milestones(total: int) -> int:
    """How many documents between two progress lines."""
    return max(1, min(EVERY, -(-total // 10)))


@contextmanager
def ingest_progress(console: Console) -> Iterator[Progress]:
    """A `progress(done, total, chunks)` callback for `KnowledgeBase.ingest`."""
    if console.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bar

        columns = (
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("docs · {task.fields[chunks]} chunks"),
            TimeElapsedColumn(),
        )
        with Bar(*columns, console=console, transient=True) as bar:
            task = bar.add_task("ingest", total=None, chunks=0)
            yield lambda done, total, chunks: bar.update(
                task, completed=done, total=total, chunks=chunks
            )
        return

    said = -1

    def line(done: int, total: int, chunks: int) -> None:
        nonlocal said
        if said >= 0 and done < total and done - said < milestones(total):
            return
        said = done
        console.print(
            f"ingest: {done:,}/{plural(total, 'document')} ({plural(chunks, 'chunk')} embedded)",
            highlight=False,
        )

    yield line


#: A sync's progress report: `progress(stage, done, total)`, stage "fetching" or "ingesting".
StageProgress = Callable[[str, int, int], None]


@contextmanager
def sync_progress(console: Console) -> Iterator[StageProgress]:
    """A `progress(stage, done, total)` callback for a sync (pages fetched, then documents
    ingested): a live bar on a terminal, a line every tenth of each stage elsewhere."""
    if console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        columns = (TextColumn("[bold]{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())  # fmt: skip
        with Bar(*columns, console=console, transient=True) as bar:
            task = bar.add_task("sync", total=None, stage="waiting")
            yield lambda stage, done, total: bar.update(
                task, completed=done, total=total, stage=stage
            )
        return

    said: dict[str, int] = {}

    def line(stage: str, done: int, total: int) -> None:
        before = said.get(stage, -1)
        if before >= 0 and done < total and done - before < milestones(total):
            return
        said[stage] = done
        console.print(f"{stage}: {done:,}/{total:,}", highlight=False)

    yield line
