"""How the adapters hand work to the workers: by task name, with an expiry, exactly once.

`ask` claims the question in the ledger first: a retried Slack event or a duplicate gateway
message finds the claim taken and enqueues nothing. When the broker can't take the question, the
claim is given back and the caller told, so the adapter can tell the asker.
"""

from __future__ import annotations

import logging

from celery import Celery
from celery.canvas import Signature
from celery.result import AsyncResult

from knowledge.models import Feedback, Question
from workers import names
from workers.ledger import Ledger

logger = logging.getLogger(__name__)


class QueueUnavailableError(RuntimeError):
    """The broker could not take the question (down or unreachable); nothing was enqueued."""


def ask(
    app: Celery,
    ledger: Ledger,
    question: Question,
    *,
    expires_s: int,
    then: Signature | None = None,
) -> AsyncResult | None:
    """Enqueue `answer` (chained to `then`, e.g. a delivery task); None if already taken.
    Raises `QueueUnavailableError`, with the claim released, when the broker refuses it."""
    if not ledger.claim(question.key):
        return None
    answer = app.signature(
        names.ANSWER,
        kwargs={"question": question.model_dump(mode="json")},
        options={"expires": expires_s},
    )
    try:
        if then is not None:
            return (answer | then.set(expires=expires_s)).apply_async()
        return answer.apply_async()
    except Exception as exc:
        ledger.release(question.key)
        raise QueueUnavailableError(f"the broker did not take question {question.key}") from exc


def ingest(
    app: Celery, paths: list[str], *, collection: str | None, base_url: str | None, expires_s: int
) -> AsyncResult:
    """Ingest through the worker that owns the index (Milvus Lite is single-process)."""
    return app.send_task(
        names.INGEST,
        kwargs={"paths": paths, "collection": collection, "base_url": base_url},
        expires=expires_s,
    )


def record_answer(app: Celery, result: dict, *, message_ref: str, place: str) -> AsyncResult:
    """After a delivery: store the posted answer, so reactions to it can be tied to it."""
    return app.send_task(
        names.RECORD_ANSWER,
        kwargs={"result": result, "message_ref": message_ref, "place": place},
    )


def feedback(app: Celery, event: Feedback) -> AsyncResult:
    """A reaction, reason or correction, recorded by the feedback worker (idempotent)."""
    sent = app.send_task(names.RECORD_FEEDBACK, kwargs={"feedback": event.model_dump(mode="json")})
    logger.debug("Enqueued %s feedback on %s", event.kind, event.message_ref or event.place)
    return sent
