"""The sweeper's decision for one waiting question: wait, hand the answer on again, or apologise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from knowledge.models import Question
from knowledge.records.store import Reply, Waiting
from workers.sweep import next_step

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REPLY = Reply(
    "supportbot.deliver.slack", {"channel": "C1", "thread_ts": "1.0", "message_ts": "1.0"}
)


def waiting(state: str, *, age_s: float, answered: bool = False, swept_s: float | None = None,
            reply: Reply | None = REPLY) -> Waiting:  # fmt: skip
    at = NOW - timedelta(seconds=age_s)
    return Waiting(
        question=Question(platform="slack", text="hi?", event_id="Ev1"), state=state,
        answered=answered, reply=reply, asked_at=at, updated_at=at,
        swept_at=None if swept_s is None else NOW - timedelta(seconds=swept_s), failure="",
    )  # fmt: skip


def step(item: Waiting) -> str:
    return next_step(item, NOW, deadline_s=960, resend_after_s=300)


def test_a_failed_question_is_apologised_for_at_once_unless_its_answer_came_late():
    assert step(waiting("failed", age_s=5)) == "apologise"
    assert step(waiting("failed", age_s=5, answered=True)) == "resend"


def test_an_unanswered_question_waits_until_no_worker_can_still_answer_it():
    assert step(waiting("claimed", age_s=959)) == "wait"
    assert step(waiting("claimed", age_s=961)) == "apologise"


def test_an_answer_not_posted_is_handed_on_again_after_a_while():
    assert step(waiting("answered", age_s=299, answered=True)) == "wait"
    assert step(waiting("answered", age_s=301, answered=True)) == "resend"


def test_a_delivery_in_progress_is_left_to_retry_by_itself_until_it_stops_trying():
    assert step(waiting("delivering", age_s=299, answered=True)) == "wait"
    assert step(waiting("delivering", age_s=301, answered=True)) == "resend"
    assert step(waiting("delivering", age_s=301)) == "apologise"  # an apology that was lost


def test_what_was_acted_on_lately_is_given_time_and_the_cli_is_never_replied_to():
    assert step(waiting("failed", age_s=5000, swept_s=60)) == "wait"
    assert step(waiting("failed", age_s=5000, swept_s=400)) == "apologise"
    assert step(waiting("failed", age_s=5000, reply=None)) == "wait"
