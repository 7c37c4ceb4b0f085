"""A streamed answer: the text so far, handed to the platform's delivery at most once a period.

The generation worker knows no platform: it sends the text by task name (`names.draft`, beside
the delivery task stored with the question), and the delivery worker edits it into the thread
(`bot.chat.delivering.show_draft`). Each send carries the whole text so far, so a lost or late one
costs nothing but a moment's staleness.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery import Celery

from knowledge.records.store import Reply
from workers import names

logger = logging.getLogger(__name__)


class Throttle:
    """Pass `text` on at most once every `every_s` (the first at once); what comes between is
    dropped, since the next one, or the answer, carries it."""

    def __init__(
        self,
        send: Callable[[str], None],
        every_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.send = send
        self.every_s = every_s
        self.clock = clock
        self.last: float | None = None

    def __call__(self, text: str) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.every_s:
            return
        self.last = now
        self.send(text)


def drafts(app: Celery, reply: Reply, key: str, every_s: float) -> Throttle:
    """What the generate task hands the model's writing to: drafts for the question's thread.
    A broker that refuses one costs that draft only: the answer still comes."""

    def send(text: str) -> None:
        try:
            app.send_task(names.draft(reply.task), kwargs=reply.to | {"key": key, "text": text},
                          expires=max(10.0, 5 * every_s))  # fmt: skip
        except Exception as exc:
            logger.warning("Could not send the draft of %s: %s", key, exc)

    return Throttle(send, every_s)
