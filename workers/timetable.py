"""What `celery beat` (workers.schedule) sends besides the sweep, and when: pure, so a test reads
it without starting a clock."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from knowledge.sync.sources import Source
from workers import names
from workers.settings import WorkerSettings


def sync_schedule(sources: list[Source]) -> dict[str, dict[str, Any]]:
    """A beat entry per source; a sync not started within its interval is dropped (the next one
    comes), so a stopped worker doesn't come back to a pile of them."""
    return {
        f"sync {source.name}": {
            "task": names.SYNC,
            "schedule": source.every_minutes * 60,
            "kwargs": {"source": source.model_dump(mode="json")},
            "options": {"expires": source.every_minutes * 60},
        }
        for source in sources
    }


def digest_schedule(config: WorkerSettings) -> dict[str, dict[str, Any]]:
    """The digest's beat entry, from its crontab line (UTC); none without a channel to post to.
    A digest not started within an hour is dropped: next week's comes."""
    if not config.digest_to:
        return {}
    minute, hour, day, month, weekday = config.digest_cron.split()
    when = crontab(minute=minute, hour=hour, day_of_month=day, month_of_year=month,
                   day_of_week=weekday)  # fmt: skip
    return {"digest": {"task": names.DIGEST, "schedule": when, "options": {"expires": 3600}}}
