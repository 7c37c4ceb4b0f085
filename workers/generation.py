"""The generation worker: `celery -A workers.generation worker -Q generate --pool threads
--concurrency 8`.

It holds the model, not the index: the knowledge worker retrieves and hands each question's
prompt here (`workers.tasks.generate`), so generation scales on its own. Run as many as the
hardware allows (one process per GPU, with threads so that the in-process model batches the
questions it holds; N processes on a CPU box), or one with many threads in front of an
inference server (`SUPPORTBOT_GENERATOR=hosted`). A model that can't load stops it at start,
with the setting to fix, before it takes any question.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_init, worker_shutdown

from knowledge.settings import load_or_exit
from workers import records
from workers.answering import runtime
from workers.app import create_app, worker_logging
from workers.settings import WorkerSettings

worker_logging()
settings = load_or_exit(WorkerSettings)
records.configure(settings)
app = create_app(settings)
app.autodiscover_tasks(["workers"], related_name="tasks", force=True)


@worker_init.connect
def _load(**_: Any) -> None:
    runtime.start_or_leave(
        "supportbot generation worker", lambda: runtime.start_generation(settings)
    )


@worker_shutdown.connect
def _unload(**_: Any) -> None:
    runtime.stop()
