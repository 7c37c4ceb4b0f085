"""After a sync: the recent answers that cited a page it changed or removed, named in the sync's
report (its notice and the report page list them), and asked again where the channel opted in.

A question asked again is a new question (its key: the old one's, plus the sync's run), claimed
once like any other, answered from the new docs, and delivered into the old thread through the
old question's own delivery task; if its answer says nothing new
(`knowledge.answers.refresh.differs`) it is recorded `unchanged` and nothing is posted. The
records keep which question it asked again (`supersedes`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import Celery

from knowledge.models import Affected, SyncReport
from knowledge.records.store import Cited, Records
from workers import enqueue

logger = logging.getLogger(__name__)


def changed_pages(report: SyncReport) -> set[str]:
    """The links of the pages a sync changed or removed, fragments aside."""
    return {c.url.split("#")[0] for c in report.ingest.changes
            if c.kind in ("changed", "removed") and c.url}  # fmt: skip


def affected(
    app: Celery, store: Records, report: SyncReport, run_id: str, *, now: datetime, days: int,
    expires_s: int,
) -> SyncReport:  # fmt: skip
    """The report with the answers it made stale; those in channels that opted in are asked
    again. A broker that refuses one costs that refresh only."""
    urls = changed_pages(report)
    if not urls or days <= 0:
        return report
    found = store.cited_since(urls, now - timedelta(days=days))
    listed = [Affected(key=c.question.key, channel=f"{c.question.platform}:{c.question.channel}",
                       asked_again=c.refresh and _ask_again(app, store, c, run_id, expires_s))
              for c in found]  # fmt: skip
    if listed:
        logger.info("The sync of %s touched %d recent answers; %d asked again", report.source,
                    len(listed), sum(a.asked_again for a in listed))  # fmt: skip
    return report.model_copy(update={"affected": listed})


def _ask_again(app: Celery, store: Records, cited: Cited, run_id: str, expires_s: int) -> bool:
    old = cited.question
    again = old.model_copy(update={
        "event_id": f"{old.event_id}:refresh:{run_id}", "supersedes": old.key,
        "answer_bar": None,  # a refresh never hands the question to a person
    })  # fmt: skip
    deliver = app.signature(cited.reply.task, kwargs=cited.reply.to)
    try:
        return enqueue.ask(app, store, again, expires_s=expires_s, then=deliver) is not None
    except enqueue.QueueUnavailableError:
        logger.warning("Could not ask %s again after its docs changed", old.key)
        return False
