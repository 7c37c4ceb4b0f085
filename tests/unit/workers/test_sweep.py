"""The sweeper's decision for one waiting question: wait, hand the answer on again, or apologise."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from bot.chat.delivering import place_in_line
from knowledge.models import Question
from knowledge.records.store import Reply, Waiting
from workers.outages.sweep import next_step, places_in_line, worth_telling

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


def test_a_question_whose_task_the_broker_lost_is_sent_again_not_apologised_for():
    lost = waiting("claimed", age_s=90)
    assert next_step(lost, NOW, deadline_s=960, resend_after_s=300, lost=True) == "requeue"
    again = waiting("claimed", age_s=90, swept_s=30)  # sent again lately: give it its time
    assert next_step(again, NOW, deadline_s=960, resend_after_s=300, lost=True) == "wait"
    late = waiting("claimed", age_s=961)
    assert next_step(late, NOW, deadline_s=960, resend_after_s=300, lost=True) == "apologise"


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


def in_line(n: int, state: str = "claimed", told: int | None = None) -> Waiting:
    item = waiting(state, age_s=60 - n)
    question = Question(platform="slack", text="hi?", event_id=f"Ev{n}")
    return dataclasses.replace(item, question=question, ahead=told)


def test_each_unanswered_question_counts_the_unanswered_ones_asked_before_it():
    line = [in_line(0), in_line(1, "answered"), in_line(2), in_line(3, "delivering"), in_line(4)]
    assert places_in_line(line) == {"slack::Ev0": 0, "slack::Ev2": 1, "slack::Ev4": 2}


def test_a_place_is_told_when_someone_is_ahead_and_again_each_time_it_moves():
    assert not worth_telling(in_line(0), 0)  # first in line: nothing to say
    assert worth_telling(in_line(0), 2)
    assert not worth_telling(in_line(0, told=2), 2)  # told already, nothing moved
    assert worth_telling(in_line(0, told=2), 1)
    assert worth_telling(in_line(0, told=1), 0)  # "yours is next"
    assert not worth_telling(in_line(0, "answered", told=1), 0)  # the answer is on its way
    assert not worth_telling(dataclasses.replace(in_line(0), reply=None), 3)  # asked in the CLI


def test_the_place_in_line_reads_as_a_person_would_say_it():
    assert (
        place_in_line(3) == "⏳ 3 questions are ahead of yours. I'll answer here as soon as I can."
    )
    assert place_in_line(1).startswith("⏳ 1 question is ahead of yours.")
    assert "next" in place_in_line(0)
