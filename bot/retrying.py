"""How long a delivery keeps trying through a platform outage: a pure schedule, and the one
place both platforms' delivery tasks turn a transient failure into a later try.

Slack's and Discord's clients retry a 5xx or a dropped connection a few times within seconds;
an outage of minutes outlasts that. The delivery task then retries itself, waiting 1, 2, 4 ...
seconds, at most `cap_s` between tries, until `window_s` has passed since the first failure.
"""

from __future__ import annotations

import logging

from celery import Task

logger = logging.getLogger(__name__)


def delay(retries: int, cap_s: float = 60.0) -> float:
    """Seconds to wait before try number `retries + 1` after a failure."""
    return float(min(cap_s, 2 ** min(retries, 20)))


def next_delay(retries: int, window_s: float, cap_s: float = 60.0) -> float | None:
    """The wait before the next try, or None once the schedule would pass `window_s`."""
    waited = sum(delay(n, cap_s) for n in range(retries))
    wait = delay(retries, cap_s)
    return wait if waited + wait <= window_s else None


def retry_later(
    task: Task, exc: Exception, *, transient: bool, window_s: float, platform: str, key: str
) -> Exception:
    """Schedule the next try of `task` for a transient failure (`task.retry` raises Celery's
    `Retry`, its expiry moved past the window so the question's own expiry can't drop it); once
    the window is over, or for any other failure, the exception to raise instead."""
    wait = next_delay(task.request.retries, window_s) if transient else None
    if wait is None:
        return exc
    logger.warning("%s did not take the answer to %s (%s); trying again in %.0f s", platform, key,
                   type(exc).__name__, wait)  # fmt: skip
    return task.retry(exc=exc, countdown=wait, expires=window_s + 60)
