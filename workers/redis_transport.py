"""kombu's Redis transport, with a worker that survives losing Redis while it holds messages.

Celery 5.7's consumer, on a lost broker connection, collects the connection (which drops the
transport) and then closes it again; that second close closes the task channel, whose QoS tries
to hand its unacknowledged messages back to Redis through the transport that is gone:
`AttributeError: 'NoneType' object has no attribute 'hostname'`, which is no connection error, so
the worker stops ("Unrecoverable error"). It happens whenever Redis drops while a delivery waits
out a retry countdown or is running (celery 5.6 did not close twice; no release fixes it yet).

Here that hand-back is skipped when the connection is already gone. Nothing is lost: the
messages stay in Redis's `unacked` set, and any worker hands them back to their queue once the
visibility timeout has passed, as it does for a worker that was killed.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

logger = logging.getLogger(__name__)
#: For `broker_transport`: kombu takes a class by its import path.
TRANSPORT = f"{__name__}:Transport"


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        held = self._delivered
        if client is None and held is not None and self.channel.connection.client is None:
            logger.warning(
                "Redis went away holding %d unacknowledged message(s): they come back to their "
                "queue after the visibility timeout",
                len(held),
            )
            held.clear()
            return
        super().restore_unacked(client)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
