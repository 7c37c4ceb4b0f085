"""The clock: `celery -A workers.schedule beat` sends
- the sweep (`workers.outages.sweep`) every SUPPORTBOT_SWEEP_EVERY_S to the feedback queue, where
  the delivery worker runs it;
- each docs source's sync (SUPPORTBOT_SOURCES_FILE) at its `every_minutes` to the knowledge queue,
  where the worker that owns the index runs it;
- the weekly digest (`workers.after_answers.digest`) at SUPPORTBOT_DIGEST_CRON, when
  SUPPORTBOT_DIGEST_TO is set.

One beat process per deployment (two would only sweep and sync twice as often: harmless, both are
idempotent). It imports no model and no index, so it starts in a second.
"""

from __future__ import annotations

import logging

from knowledge.settings import load_or_exit
from knowledge.sync.sources import SourceError, load_sources
from workers.app import create_app, worker_logging
from workers.settings import WorkerSettings
from workers.timetable import digest_schedule, sync_schedule

logger = logging.getLogger("supportbot.beat")
worker_logging()
settings = load_or_exit(WorkerSettings)
app = create_app(settings)
try:
    configured = load_sources(settings.sources_file)
except SourceError as exc:
    # the sweep still runs; `supportbot sources` shows the same problem
    logger.error("No docs source is synced: %s", exc)
    configured = []
app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    **sync_schedule(configured),
    **digest_schedule(settings),
}
if configured:
    logger.info(
        "Syncing %s", ", ".join(f"{s.name} every {s.every_minutes:g} min" for s in configured)
    )
