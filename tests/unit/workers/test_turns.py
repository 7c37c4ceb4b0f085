"""A follow-up's wait for the earlier questions of its thread (pure)."""

from __future__ import annotations

from knowledge.models import Turn
from knowledge.records.store import Earlier
from workers.answering.turns import ahead, caught_up

READ = [Turn(role="user", content="refund on a yearly plan?")]  # the thread when it was asked
EARLIER = [
    Earlier("q0", waiting=False, answer="Hi, welcome."),
    Earlier("q1", waiting=False, answer="Yearly plans are refunded within 14 days [1]."),
    Earlier("q2", waiting=False, answer=None),  # declined
]


def test_it_waits_for_the_earlier_questions_not_yet_posted():
    assert ahead([*EARLIER, Earlier("q3", waiting=True, answer=None)]) == ["q3"]
    assert ahead(EARLIER) == []


def test_only_the_answers_it_waited_for_are_added_to_the_thread_it_read():
    assert caught_up(READ, EARLIER, waited_for=["q1", "q2"]) == [
        *READ,
        Turn(role="assistant", content="Yearly plans are refunded within 14 days [1]."),
    ]
    assert caught_up(READ, EARLIER, waited_for=[]) == READ  # the thread already held them
