"""How long a delivery keeps trying through a platform outage: a pure schedule.

Slack's and Discord's clients retry a 5xx or a dropped connection a few times within seconds;
an outage of minutes outlasts that. The delivery task then retries itself, waiting 1, 2, 4 ...
seconds, at most `cap_s` between tries, until `window_s` has passed since the first failure.
"""

from __future__ import annotations


def delay(retries: int, cap_s: float = 60.0) -> float:
    """Seconds to wait before try number `retries + 1` after a failure."""
    return float(min(cap_s, 2 ** min(retries, 20)))


def next_delay(retries: int, window_s: float, cap_s: float = 60.0) -> float | None:
    """The wait before the next try, or None once the schedule would pass `window_s`."""
    waited = sum(delay(n, cap_s) for n in range(retries))
    wait = delay(retries, cap_s)
    return wait if waited + wait <= window_s else None
