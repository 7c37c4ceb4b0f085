"""How long a task keeps trying through an outage: a pure schedule, and the one place tasks turn
a transient failure into a later try.

Slack's and Discord's clients retry a 5xx or a dropped connection a few times within seconds, a
database driver not at all; an outage of minutes outlasts that. The task (a delivery, a vote)
then retries itself, waiting 1, 2, 4 ... seconds, at most `cap_s` between tries (60 s, less with
a short visibility timeout: `WorkerSettings.retry_cap_s`), until `window_s` has passed since the
first failure. Its message stays in the broker meanwhile: nothing is lost
when the worker restarts.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.exceptions import Reject

from workers.records import settings

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
    task: Task,
    exc: Exception,
    *,
    transient: bool,
    window_s: float,
    what: str,
    kwargs: dict[str, Any] | None = None,
) -> Exception:
    """Schedule the next try of `task` for a transient failure (`task.retry` raises Celery's
    `Retry`, its expiry moved past the window so the question's own expiry can't drop it;
    `kwargs` replace the task's arguments, e.g. to remember a post already made); once the
    window is over, or for any other failure, the exception to raise instead."""
    cap_s = settings().retry_cap_s
    wait = next_delay(task.request.retries, window_s, cap_s) if transient else None
    if wait is None:
        return exc
    logger.warning("%s (%s); trying again in %.0f s", what, type(exc).__name__, wait)
    try:
        return task.retry(exc=exc, countdown=wait, expires=window_s + 60, kwargs=kwargs)
    except Reject as refused:
        # The broker did not take the retry (it is down too). Celery would drop the message;
        # hand it back instead (or, with no connection to do so, leave it unacknowledged for
        # the broker to redeliver).
        logger.warning("The broker did not take the retry either; handing the task back")
        return Reject(refused.reason, requeue=True)


def through_records_outage(
    task: Task, exc: Exception, what: str, kwargs: dict[str, Any] | None = None
) -> Exception:
    """`retry_later` for the records database being unreachable: tried again for
    SUPPORTBOT_RECORDS_RETRY_FOR_S, the task's message kept in the broker meanwhile."""
    return retry_later(task, exc, transient=True, window_s=settings().records_retry_for_s,
                       what=what, kwargs=kwargs)  # fmt: skip
