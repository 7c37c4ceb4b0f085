"""The weekly digest (`celery beat` sends it at SUPPORTBOT_DIGEST_CRON): built by the knowledge
worker, which holds the embedding model the gaps are grouped with, and handed as plain JSON to
the platform's digest task beside its adapter (`names.digest`), which posts it with the
deliveries' retries."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import Task, shared_task

from knowledge.records import report
from knowledge.records.digest import digest_of
from workers import names
from workers.answering.runtime import current
from workers.records import records, settings

logger = logging.getLogger(__name__)


@shared_task(bind=True, name=names.DIGEST)
def digest(self: Task, *, days: int = 28) -> dict[str, Any]:
    """Build the digest of the last `days` and send it to SUPPORTBOT_DIGEST_TO."""
    config = settings()
    if not config.digest_to:
        return {"sent": False}
    platform, _, channel = config.digest_to.partition(":")
    embed = current().kb.embed
    built = report.build(records(), embed.get_text_embedding_batch, now=datetime.now(UTC),
                         days=days)  # fmt: skip
    summary = digest_of(built, config.report_url)
    sent = {"channel": channel, "digest": summary.model_dump(mode="json")}
    self.app.send_task(names.digest(platform), kwargs=sent)
    logger.info("Sent the digest (%d gaps) to %s", len(summary.gaps), config.digest_to)
    return {"sent": True, "gaps": len(summary.gaps)}
