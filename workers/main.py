"""The knowledge worker: `celery -A workers.main worker -Q knowledge --pool threads`.

Settings are read here, once. Start-up opens the index and says which pool may run: with Milvus
Lite exactly one process may own the index file. It retrieves; the model runs in the generation
workers (`workers.generation`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_init, worker_shutdown

from knowledge.settings import load_or_exit
from workers import records
from workers.answering import runtime
from workers.answering.pools import check_pool
from workers.app import create_app, worker_logging
from workers.settings import WorkerSettings

logger = logging.getLogger("supportbot.worker")
worker_logging()
settings = load_or_exit(WorkerSettings)
records.configure(settings)
app = create_app(settings)
app.autodiscover_tasks(["workers"], related_name="tasks", force=True)
app.autodiscover_tasks(["workers.after_answers"], related_name="digest", force=True)


@worker_init.connect
def _load(sender: Any = None, **_: Any) -> None:
    pool = getattr(sender, "pool_cls", "prefork")
    pool_name = (
        pool if isinstance(pool, str) else getattr(pool, "__module__", "").rsplit(".", 1)[-1]
    )
    concurrency = int(sender.concurrency or 1)

    def start() -> None:
        logger.info(check_pool(settings.uses_milvus_lite, pool_name, concurrency))
        runtime.start(settings)

    runtime.start_or_leave("supportbot worker", start)


@worker_shutdown.connect
def _unload(**_: Any) -> None:
    runtime.stop()
