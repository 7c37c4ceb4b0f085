"""Waiting for events, never for time: what the processes said, and when the queues ran dry.

A test that must show something did *not* happen (no second post, no second vote) waits for
the events that settle it: the adapter logged its decision on each input, and the broker holds
no task, queued or in a worker's hands. After that nothing more can come, on any machine speed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import redis

from workers import names

T = TypeVar("T")
#: Every queue a test's workers consume; kombu keeps priority levels as suffixed lists.
QUEUES = (names.KNOWLEDGE_QUEUE, names.GENERATE_QUEUE, names.DELIVERY_QUEUE, names.FEEDBACK_QUEUE)
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def wait_until(
    check: Callable[[], T | None], what: str, timeout: float = 90, every: float = 0.05
) -> T:
    """`check()`'s first truthy result; fails with `what` if none comes within `timeout`
    (a bound that only a broken system reaches, not a guess at how long work takes)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def broker_idle(url: str) -> bool:
    """No task queued and none unacknowledged (Celery acks late: a task in a worker's hands, or
    waiting out a retry countdown, stays in `unacked` until it is done)."""
    client = redis.Redis.from_url(url)
    queued = sum(client.llen(q + suffix) for q in QUEUES for suffix in _PRIORITY_SUFFIXES)
    return queued == 0 and client.hlen("unacked") == 0


def wait_idle(url: str, timeout: float = 90) -> None:
    """Until every task handed to the broker so far, and every task those tasks started, has run.
    Seen idle twice in a row: kombu moves a message from its queue into `unacked` in two steps."""
    wait_until(lambda: broker_idle(url) and broker_idle(url), "the workers to finish", timeout)


class LogWatch(logging.Handler):
    """Records of some loggers, kept so a test can wait for a message to be logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def count(self, text: str) -> int:
        return sum(text in message for message in list(self.messages))

    def wait_for(self, text: str, count: int = 1, timeout: float = 90) -> None:
        wait_until(lambda: self.count(text) >= count, f"{count} x {text!r} in the log", timeout)


@contextmanager
def watching() -> Iterator[LogWatch]:
    """A `LogWatch` on every logger of this process, at DEBUG while the block runs. (Every
    logger, not just the root: Bolt fixes each listener's logger at the root's level of the
    moment the listener was registered.)"""
    watch = LogWatch()
    root = logging.getLogger()
    known = list(logging.Logger.manager.loggerDict.values())
    loggers = [root, *(lg for lg in known if isinstance(lg, logging.Logger) and lg.level)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def log_lines(path, text: str) -> int:  # path: Path
    """How many lines of a process's log file contain `text`."""
    return sum(text in line for line in path.read_text().splitlines())
