"""What a sync tells a team's channel: which pages it added, changed or removed, each linked, so
whoever answers customers knows the bot's docs moved. Plain text with links; each platform says
how a link is written (Slack `<url|title>`, Discord `[title](<url>)`) and escapes a title."""

from __future__ import annotations

from collections.abc import Callable

from knowledge.models import SyncReport

#: How a platform writes a link, link(title, url), and a bare title, link(title, "").
Link = Callable[[str, str], str]
_LABELS = (("added", "Added"), ("changed", "Changed"), ("removed", "Removed"))


def worth_telling(report: SyncReport, previous_error: str) -> bool:
    """A sync that changed pages is told; a failing one only when it starts failing (or fails
    otherwise), not at every interval while the site is down."""
    if report.error:
        return report.error != previous_error
    return bool(report.ingest.changes)


def change_notice(report: SyncReport, link: Link, *, limit: int) -> str:
    """The notice, at most `limit` characters, cut between whole links (a cut link is a broken
    one). Removed pages are named, not linked: their links lead nowhere now."""
    source = link(report.source, "")  # a bare title: escaped for the platform
    if report.error:  # the error quotes what the site sent: escaped as a title is
        text = f"Docs sync of {source} failed: {link(report.error, '')}. The bot keeps " \
               "answering from the previous version."  # fmt: skip
        return text[:limit]
    ingest = report.ingest
    lines = [f"Docs sync of {source}: {ingest.added} added, {ingest.updated} changed, "
             f"{ingest.deleted} removed."]  # fmt: skip
    kept = len(report.problems) + len(ingest.problems)
    footer = "\n".join(line for line in (
        stale(report),
        f"{kept} page(s) could not be read this time: see `supportbot sources`." if kept else "",
    ) if line)  # fmt: skip
    budget = limit - len(lines[0]) - len(footer) - 2
    for kind, label in _LABELS:
        items = [_item(change.title or change.url or change.doc_id, change.url, kind, link)
                 for change in ingest.changes if change.kind == kind]  # fmt: skip
        if not items:
            continue
        shown = len(items)
        while shown and len(_line(label, items, shown)) > budget:
            shown -= 1
        lines.append(_line(label, items, shown))
        budget -= len(lines[-1]) + 1
    if footer:
        lines.append(footer)
    return "\n".join(lines)[:limit]


def stale(report: SyncReport) -> str:
    """How many recent answers cited the pages that changed, and how many are asked again (their
    channel opted in); the report page lists them (`supportbot report`)."""
    if not report.affected:
        return ""
    again = sum(a.asked_again for a in report.affected)
    said = f"{len(report.affected)} recent answer(s) cited these pages"
    return said + (f"; {again} will be answered again in their threads." if again else ".")


def _item(name: str, url: str, kind: str, link: Link) -> str:
    return link(name, "" if kind == "removed" else url)


def _line(label: str, items: list[str], shown: int) -> str:
    """`Changed: a, b and 3 more`, with the first `shown` items."""
    if not shown:
        return f"{label}: {len(items)} pages"
    hidden = len(items) - shown
    return f"{label}: " + ", ".join(items[:shown]) + (f" and {hidden} more" if hidden else "")
