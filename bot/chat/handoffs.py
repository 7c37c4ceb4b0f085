""" "Talk to a person" and "Mark resolved" under an answer, for any platform: the press is recorded
at once (a button pressed twice acts once) and says what the thread shows.

With the records down, or not yet knowing the answer (its delivery is still being noted), the
press goes to the feedback worker, which records it once they can and has the last word (a
resolve that was not the presser's to make is refused there); the thread is told meanwhile as if
it counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from celery import Celery
from sqlalchemy.exc import SQLAlchemyError

from bot.chat.replies import (
    ALREADY_ESCALATED,
    ALREADY_RESOLVED,
    NOT_YOURS_TO_RESOLVE,
    handoff_request,
    resolved_note,
)
from knowledge.models import Feedback
from knowledge.records.store import Handoff, Records
from workers import enqueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shown:
    """What a press shows: a message in the thread (`post`), a note only the presser sees
    (`note`), and whether the answer gets the press's reaction (🆘 or ✅)."""

    post: str | None = None
    note: str | None = None
    react: bool = False


def press(
    event: Feedback, records: Records, celery: Celery, *, mention: str, contact: str
) -> Shown:
    """Record an `escalate` or `resolve` press (`event`) and say what to show; `mention` names the
    presser on the platform, `contact` is whom the channel hands off to unless the question
    recorded its own."""
    kind: Literal["escalate", "resolve"] = "escalate" if event.kind == "escalate" else "resolve"
    try:
        marked = records.mark(kind, event.platform, event.user, event.at,
                              message_ref=event.message_ref)  # fmt: skip
    except SQLAlchemyError as exc:
        logger.warning("The records did not take a %s now (%s); queued", kind, exc)
        marked = None
    if marked is None:
        enqueue.feedback(celery, records, event)
    if kind == "escalate":
        if marked is False:
            return Shown(note=ALREADY_ESCALATED)
        stands = _stands(records, event)  # its key (for the webhook) and its own contact
        if marked and stands is not None:  # (otherwise the feedback worker sends it)
            enqueue.handoff(celery, stands.key)
        whom = (stands.contact if stands else None) or contact
        return Shown(post=handoff_request(whom, mention), react=True)
    if marked is False:  # closed before, or not theirs to close: the records say which
        stands = _stands(records, event)
        return Shown(note=ALREADY_RESOLVED if stands and stands.resolved else NOT_YOURS_TO_RESOLVE)
    return Shown(post=resolved_note(mention), react=True)


def _stands(records: Records, event: Feedback) -> Handoff | None:
    try:
        return records.handoff(event.platform, event.message_ref)
    except SQLAlchemyError as exc:
        logger.warning("Could not read the records: %s", exc)
        return None
