"""What the broker holds: which tasks still exist, waiting in a queue or in a worker's hands.

A question's task can vanish without failing anywhere: Redis restarted without its data, or a
worker killed between taking a message (BRPOP removes it from the queue) and noting it as
unacknowledged (a separate write, so a SIGKILL in between loses it). Its asker would wait for the
sweeper's deadline (16 minutes with the defaults) and be told "sorry". Asking Redis whether the
task is there tells a lost question from one waiting behind a long queue, so the sweeper can send
it again at once (`workers.outages.sweep`).

Only Redis can be read this way (its queues are lists, the unacknowledged messages a hash); with
another broker the answer is "don't know", and the sweeper keeps to its deadline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from celery import Celery

logger = logging.getLogger(__name__)
#: kombu keeps a queue's messages of each priority in its own list: `queue`, `queue\x06\x163`...
_PRIORITY_KEYS = ("", "\x06\x163", "\x06\x166", "\x06\x169")
#: The hash of messages delivered to workers and not acknowledged yet (kombu's `unacked_key`).
_UNACKED = "unacked"


def task_ids(app: Celery, queues: Iterable[str]) -> set[str] | None:
    """The ids of every task waiting in `queues` or held unacknowledged by any worker (a running
    task, one waiting out a retry countdown); None when the broker can't be read this way."""
    if not str(app.conf.broker_url or "").startswith(("redis://", "rediss://")):
        return None
    try:
        with app.connection_for_read() as connection:
            client = connection.default_channel.client
            raw = [m for q in queues for k in _PRIORITY_KEYS for m in client.lrange(q + k, 0, -1)]
            held = [json.loads(entry)[0] for entry in client.hvals(_UNACKED)]
    except Exception as exc:  # Redis down: nothing can be told, the sweeper waits
        logger.warning("Could not read the queues: %s", exc)
        return None
    return {_task_id(message) for message in [*(json.loads(m) for m in raw), *held]} - {""}


def _task_id(message: object) -> str:
    headers = message.get("headers") if isinstance(message, dict) else None
    return str(headers.get("id") or "") if isinstance(headers, dict) else ""
