"""A streamed answer: what is shown while the model writes, and how often."""

from __future__ import annotations

from knowledge.answers.answer import showable
from workers.answering.streaming import Throttle


def test_drafts_go_at_once_then_at_most_once_a_period():
    sent: list[str] = []
    now = [100.0]
    throttle = Throttle(sent.append, every_s=1.0, clock=lambda: now[0])
    for at, text in [(100.0, "Y"), (100.4, "Ye"), (100.9, "Yea"), (101.0, "Year"), (101.5, "Yearl"),
                     (103.0, "Yearly")]:  # fmt: skip
        now[0] = at
        throttle(text)
    assert sent == ["Y", "Year", "Yearly"]


def test_a_reply_that_may_still_be_not_in_docs_is_not_shown():
    assert not showable("")
    assert not showable("NOT_IN")
    assert not showable(" not_in_docs")
    assert not showable("NOT_IN_DOCS.")
    assert showable("Yearly plans are refunded")
    assert showable("No, yearly plans can't be paused")  # "NO" is no prefix of the marker's
