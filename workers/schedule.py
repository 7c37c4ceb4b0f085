"""The clock: `celery -A workers.schedule beat` sends the sweep (`workers.sweep`) every
SUPPORTBOT_SWEEP_EVERY_S to the feedback queue, where the delivery worker runs it.

One beat process per deployment (two would only sweep twice as often: harmless, the sweep is
idempotent). It imports no model and no index, so it starts in a second.
"""

from __future__ import annotations

from knowledge.settings import load_or_exit
from workers.app import create_app, worker_logging
from workers.settings import WorkerSettings

worker_logging()
settings = load_or_exit(WorkerSettings)
app = create_app(settings)
