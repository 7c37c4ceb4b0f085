"""kombu's Redis transport, with a worker that survives losing Redis while it holds messages.

Celery 5.7's consumer, on a lost broker connection, collects the connection (which drops the
transport) and then closes it again, and restarts with a new one. Whatever the old channel still
does with its messages then goes through a transport that is gone: handing its unacknowledged
messages back as it closes, or acknowledging (or rejecting) a task that finishes after the drop.
Each fails with an `AttributeError` ('NoneType' object has no attribute 'hostname' or 'client'),
which is no connection error, so the worker stops ("Unrecoverable error"). It happens whenever
Redis drops while a delivery runs or waits out a retry countdown (celery 5.6 did not close twice;
no release fixes it yet).

Here such a channel leaves its messages where they are. Nothing is lost: they stay in Redis's
`unacked` set, and any worker hands them back to their queue once the visibility timeout has
passed, as it does for a worker that was killed. A task acknowledged this way may run again;
every task here is idempotent (the records decide what is posted).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis, virtual

logger = logging.getLogger(__name__)
#: For `broker_transport`: kombu takes a class by its import path.
TRANSPORT = f"{__name__}:Transport"


class QoS(redis.QoS):
    def _gone(self) -> bool:
        """The channel's connection was closed under it (Redis dropped, the consumer moved on)."""
        transport = self.channel.connection
        return transport is None or transport.client is None

    def restore_unacked(self, client: Any = None) -> None:
        held = self._delivered
        if client is None and held is not None and self._gone():
            logger.warning(
                "Redis went away holding %d unacknowledged message(s): they come back to their "
                "queue after the visibility timeout",
                len(held),
            )
            held.clear()
            return
        super().restore_unacked(client)

    def _left_in_redis(self, delivery_tag: str, what: str) -> bool:
        """On a channel whose connection is gone: forget the message here only (it stays in
        Redis's `unacked` set and comes back after the visibility timeout); True if so."""
        if not self._gone():
            return False
        logger.warning("Redis went away before %s: it comes back after the visibility "
                       "timeout (every task is idempotent)", what)  # fmt: skip
        virtual.QoS.ack(self, delivery_tag)
        return True

    def ack(self, delivery_tag: str) -> None:
        if not self._left_in_redis(delivery_tag, "a task's acknowledgement"):
            super().ack(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if not self._left_in_redis(delivery_tag, "a task was handed back"):
            super().reject(delivery_tag, requeue=requeue)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
