"""Draft channels, for any platform: the answer goes to a review channel first, and a teammate's
"Post" (as written, or edited) sends it to the asker.

The records decide everything that must happen once: the draft is posted for review by one
delivery (`bot.chat.delivering`), the first approval counts (a button pressed twice, or by two
teammates, posts once), and an approved answer is `answered` again, handed to its delivery to
the asker; if that hand-off is lost, the sweeper sends it. An edit is stored as the reviewer's
correction of the model's answer, so the answers a team fixes before posting become tuning data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import Celery, Task
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.chat.replies import REVIEW_UNAVAILABLE, already_posted
from knowledge.models import Answer, Question
from knowledge.records.store import Approval, Records
from workers.outages.retrying import through_records_outage
from workers.records import records as delivery_records

logger = logging.getLogger(__name__)


def for_review(task: Task, key: str, review_channel: str, *, apology: bool) -> bool:
    """In a delivery: whether it posts the answer for review rather than to the asker, as in a
    draft channel (`review_channel` set) until someone approved it. An apology (no answer
    came) goes straight to the asker: there is nothing to review."""
    if not review_channel or apology:
        return False
    try:
        return not delivery_records().reviewed_by(key)
    except OperationalError as exc:
        raise through_records_outage(
            task, exc, f"The records did not say who reviewed {key}"
        ) from exc


@dataclass(frozen=True)
class Reviewed:
    """What a press of a draft's "Post" did: the approval (None: the records were unreachable)
    and, once approved, the question and the answer as posted (to show on the draft)."""

    approval: Approval | None
    question: Question | None = None
    answer: Answer | None = None

    @property
    def note(self) -> str | None:
        """What only the presser is told; None when their press posted the answer."""
        if self.approval is None:
            return REVIEW_UNAVAILABLE
        if self.approval.approved:
            return None
        if self.approval.by:
            return already_posted(f"<@{self.approval.by}>")  # a mention on Slack and Discord
        return REVIEW_UNAVAILABLE  # pressed before the draft was noted as in review


def approve(records: Records, celery: Celery, *, key: str, by: str, text: str | None) -> Reviewed:
    """Record `by`'s approval of the draft of question `key` (edited into `text`, or as written)
    and, for the first approval only, hand the answer to its delivery to the asker."""
    try:
        approval = records.approve(key, by, text)
        if not approval.approved:
            return Reviewed(approval)
        question, answer, reply = (
            records.question(key),
            records.stored_answer(key),
            records.reply(key),
        )
    except SQLAlchemyError as exc:
        logger.warning("The records did not take the review of %s: %s", key, exc)
        return Reviewed(None)
    if question is None or answer is None or reply is None:
        logger.error("Approved %s, but its question, answer or thread is gone", key)
        return Reviewed(approval)
    result = {
        "question": question.model_dump(mode="json"),
        "answer": answer.model_dump(mode="json"),
    }
    try:
        celery.send_task(reply.task, args=(result,), kwargs=reply.to)
    except Exception:
        logger.exception("The broker did not take the approved answer to %s; the sweeper will "
                         "send it", key)  # fmt: skip
    return Reviewed(approval, question, answer)
