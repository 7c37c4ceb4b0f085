"""How the adapters hand work to the workers: by task name, with an expiry, exactly once.

`ask` claims the question in the records first, with where its reply goes: a retried Slack event
or a duplicate gateway message finds the claim taken and enqueues nothing, and the sweeper can
tell the asker if no answer comes. When the broker can't take the question, the claim is given
back and the caller told, so the adapter can tell the asker.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.canvas import Signature
from celery.result import AsyncResult
from sqlalchemy.exc import OperationalError

from knowledge.models import Feedback, Question, SyncReport
from knowledge.records.store import Records, Reply
from workers import names

logger = logging.getLogger(__name__)


class QueueUnavailableError(RuntimeError):
    """The question could not be taken (the broker or the records down or unreachable); nothing
    was enqueued and no claim is left behind."""


def ask(
    app: Celery,
    records: Records,
    question: Question,
    *,
    expires_s: int,
    then: Signature | None = None,
) -> AsyncResult | None:
    """Enqueue `answer` (chained to `then`, the platform's delivery task); None if already
    taken. Raises `QueueUnavailableError`, with the claim released, when the broker refuses it."""
    reply = Reply(then.task, dict(then.kwargs)) if then is not None else None
    try:
        if not records.claim(question, reply):
            return None
    except OperationalError as exc:
        raise QueueUnavailableError(f"the records did not take question {question.key}") from exc
    try:
        return send_answer(app, question, expires_s=expires_s, then=then)
    except Exception as exc:
        records.release(question.key)
        raise QueueUnavailableError(f"the broker did not take question {question.key}") from exc


def send_answer(
    app: Celery, question: Question, *, expires_s: float, then: Signature | None
) -> AsyncResult:
    """The question's `answer` task (its id: `names.answer_id`), chained to its delivery. Sent
    by `ask`, and again by the sweeper for a question whose task the broker lost."""
    answer = app.signature(
        names.ANSWER,
        kwargs={"question": question.model_dump(mode="json")},
        options={"expires": expires_s, "task_id": names.answer_id(question.key)},
    )
    if then is not None:
        return (answer | then.set(expires=expires_s)).apply_async()
    return answer.apply_async()


def ingest(
    app: Celery,
    paths: list[str],
    *,
    collection: str | None,
    base_url: str | None,
    private: bool = False,
    run_id: str,
) -> None:
    """Ingest through the worker that owns the index (Milvus Lite is single-process); followed
    in the records' syncs under `run_id`."""
    kwargs = {"paths": paths, "collection": collection, "base_url": base_url, "private": private}
    app.send_task(names.INGEST, kwargs=kwargs | {"run_id": run_id})


def sync(app: Celery, source: dict[str, Any], *, run_id: str) -> None:
    """Sync one docs source through the worker that owns the index; followed under `run_id`."""
    app.send_task(names.SYNC, kwargs={"source": source, "run_id": run_id})


def notice(app: Celery, where: tuple[str, str], report: SyncReport) -> None:
    """Tell a chat channel, (platform, channel id), what a sync changed: the platform's delivery
    worker posts it (`names.notice`). Raises when the broker refuses it."""
    platform, channel = where
    app.send_task(
        names.notice(platform),
        kwargs={"channel": channel, "report": report.model_dump(mode="json")},
    )


def feedback(app: Celery, records: Records, event: Feedback) -> None:
    """A reaction, reason or correction, recorded by the feedback worker (idempotent). When the
    broker can't take it, it is written to the records here and now, so a vote given during a
    broker outage is not lost; only with the records down too is it lost, and logged."""
    try:
        app.send_task(names.RECORD_FEEDBACK, kwargs={"feedback": event.model_dump(mode="json")})
    except Exception:
        logger.warning("The broker did not take %s feedback on %s; recording it directly",
                       event.kind, event.message_ref or event.place)  # fmt: skip
        try:
            outcome = records.record_feedback(event)
        except OperationalError:
            logger.exception("Lost %s feedback on %s: the broker and the records are both down",
                             event.kind, event.message_ref or event.place)  # fmt: skip
            return
        logger.info("Recorded %s feedback on %s directly (%s)", event.kind,
                    event.message_ref or event.place, _OUTCOME[outcome])  # fmt: skip
        return
    logger.debug("Enqueued %s feedback on %s", event.kind, event.message_ref or event.place)


_OUTCOME = {True: "stored", False: "a repeat or older", None: "not one of our answers"}


def handoff(app: Celery, key: str) -> None:
    """Send an escalation recorded just now to the handoff webhook (when one is set), through the
    feedback worker, which retries a receiver that is down."""
    try:
        app.send_task(names.HANDOFF, kwargs={"key": key})
    except Exception:
        logger.exception(
            "The broker did not take the handoff of %s: no webhook is sent for it", key
        )
