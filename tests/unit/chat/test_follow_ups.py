"""Which un-mentioned replies in a thread the bot answered are follow-ups (pure rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.follow_ups import FollowUpRules, only_thanks, why_not
from knowledge.records.store import AskedThread

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RULES = FollowUpRules(minutes=30, turns=2, opt_out="//")
THREAD = AskedThread(asker="U1", questions=1, last_activity=NOW - timedelta(minutes=5))


def decide(text: str, user: str = "U1", thread: AskedThread | None = THREAD, **options) -> str:
    why = why_not(text, user, thread, options.pop("now", NOW), options.pop("rules", RULES),
                  addressed_elsewhere=options.pop("addressed", False))  # fmt: skip
    return why or "a follow-up"


def test_the_askers_next_question_is_a_follow_up():
    assert decide("and on the monthly plan?") == "a follow-up"
    assert decide("thanks! and on the monthly plan?") == "a follow-up"  # thanks, then a question


@pytest.mark.parametrize(
    ("text", "user", "options", "why"),
    [
        ("and monthly?", "U2", {}, "not the asker"),
        ("and monthly?", "U1", {"addressed": True}, "it mentions someone"),
        ("// checking with finance first", "U1", {}, "an aside"),
        ("thanks, that worked!", "U1", {}, "thanks, not a question"),
        ("", "U1", {}, "nothing written"),  # a file alone: not a thank-you
        ("and monthly?", "U1", {"now": NOW + timedelta(minutes=26)}, "more than 30 minutes"),
        ("and monthly?", "U1", {"rules": FollowUpRules(0, 2, "//")}, "turned off"),
    ],
)
def test_replies_meant_for_others_or_closing_the_question_are_not(text, user, options, why):
    assert why in decide(text, user, **options)


def test_a_thread_takes_a_few_follow_ups_then_wants_a_mention():
    assert decide("and monthly?", thread=replace(THREAD, questions=2)) == "a follow-up"
    assert decide("and weekly?", thread=replace(THREAD, questions=3)) == "2 follow-ups already"


def test_a_thread_the_bot_never_answered_is_none_of_its_business():
    assert decide("and monthly?", thread=None) == "not a thread the bot answered"


@pytest.mark.parametrize(
    "text", ["thanks!", "Thank you so much 🙏", "ok got it :+1:", "👍", "perfect, that worked"]
)
def test_thanks_and_emoji_alone_ask_nothing(text):
    assert only_thanks(text)


@pytest.mark.parametrize(
    "text", ["thanks, but what about refunds?", "ok and the 2nd one?", "is it 14 days?", "how?"]
)
def test_anything_more_is_a_question(text):
    assert not only_thanks(text)
