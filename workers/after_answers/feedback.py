"""Feedback tasks: people's votes, reasons and corrections on posted answers, into the records.

They run in the delivery worker (`-Q delivery,feedback`): quick database writes that should not
wait behind answers. A database outage is waited out (`workers.outages.retrying`, for
SUPPORTBOT_RECORDS_RETRY_FOR_S), the event kept in the broker meanwhile. A reaction can arrive
before its answer's delivery is recorded (the post and the record race), so an unknown answer is
retried for a few minutes (the delivery may itself be waiting out the same database outage)
before the event is set aside as "not one of our answers".
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from knowledge.models import Feedback
from workers import enqueue, names
from workers.outages.retrying import next_delay, through_records_outage
from workers.records import records, settings

logger = logging.getLogger(__name__)
UNKNOWN_FOR_S = 180


@shared_task(bind=True, name=names.RECORD_FEEDBACK, max_retries=None)
def record_feedback(self: Task, *, feedback: dict[str, Any], unknown: int = 0) -> dict:
    """`unknown`: how many times the answer was not found yet."""
    event = Feedback.model_validate(feedback)
    try:
        outcome = records().record_feedback(event)
    except OperationalError as exc:
        what = f"The records did not take a {event.kind}"
        raise through_records_outage(self, exc, what) from exc
    if outcome is None:
        wait = next_delay(unknown, UNKNOWN_FOR_S, settings().retry_cap_s)
        if wait is not None:
            raise self.retry(countdown=wait, kwargs={"feedback": feedback, "unknown": unknown + 1})
        logger.info("%s on %s is not on one of our answers; set aside", event.kind,
                    event.message_ref or event.place)  # fmt: skip
        return {"recorded": False, "reason": "not one of our answers"}
    if not outcome:
        logger.info("%s on %s not recorded: a repeat, an older event, or not its maker's to make",
                    event.kind, event.message_ref or event.place)  # fmt: skip
    elif event.kind == "escalate":
        _hand_off(self, event)
    return {"recorded": outcome}


def _hand_off(task: Task, event: Feedback) -> None:
    """An escalation recorded here (the adapter could not reach the records): its webhook."""
    try:
        stands = records().handoff(event.platform, event.message_ref)
    except OperationalError:
        stands = None
    if stands is None:
        logger.warning("Escalation on %s recorded, but its question was not found for the "
                       "webhook", event.message_ref)  # fmt: skip
        return
    enqueue.handoff(task.app, stands.key)
