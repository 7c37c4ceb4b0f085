"""Feedback tasks: store each posted answer, and people's votes, reasons and corrections on it.

They run in the delivery worker (`-Q delivery,feedback`): quick database writes that should not
wait behind answers. The store is opened on first use. A reaction can arrive before its answer
is stored (the post and the record race), so an unknown answer is retried a few times before the
event is set aside as "not one of our answers".
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from knowledge.feedback.store import FeedbackStore, Posted
from knowledge.models import Answer, Feedback, Question
from workers import names
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)
UNKNOWN_RETRIES = 3
_store: FeedbackStore | None = None
_opening = threading.Lock()


def store() -> FeedbackStore:
    """The process's store, opened (and migrated) once even when many threads ask at once."""
    global _store
    with _opening:
        if _store is None:
            _store = FeedbackStore(WorkerSettings().resolved_feedback_url)
    return _store


@shared_task(
    name=names.RECORD_ANSWER, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def record_answer(*, result: dict[str, Any], message_ref: str, place: str) -> dict:
    stored = store().record_answer(
        Question.model_validate(result["question"]),
        Answer.model_validate(result["answer"]),
        Posted(message_ref=message_ref, place=place),
    )
    return {"recorded": stored}


@shared_task(
    bind=True,
    name=names.RECORD_FEEDBACK,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def record_feedback(self: Task, *, feedback: dict[str, Any]) -> dict:
    event = Feedback.model_validate(feedback)
    feedback_store = store()
    outcome: bool | None
    if event.kind in ("vote", "unvote"):
        outcome = feedback_store.vote(
            event.platform, event.message_ref, event.user, event.value, event.at,
            removed=event.kind == "unvote",
        )  # fmt: skip
    elif event.kind == "reason":
        outcome = (
            feedback_store.give_reason(event.platform, event.message_ref, event.user, event.text)
            or None
        )
    else:
        outcome = feedback_store.correct(
            event.platform, place=event.place, message_ref=event.message_ref, author=event.user,
            text=event.text, event_id=event.event_id,
        )  # fmt: skip
    if outcome is None:
        if self.request.retries < UNKNOWN_RETRIES:
            raise self.retry(countdown=2**self.request.retries, max_retries=UNKNOWN_RETRIES)
        logger.info("%s on %s is not on one of our answers; set aside", event.kind,
                    event.message_ref or event.place)  # fmt: skip
        return {"recorded": False, "reason": "not one of our answers"}
    return {"recorded": outcome}
