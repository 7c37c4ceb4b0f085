"""The Celery app, built from settings in one place: JSON only, late acks, routes, expiries.

There is no result backend: a task's outcome lives in the records (`knowledge.records`), and a
chain hands each result to the next task in the message itself.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

from celery import Celery
from celery.app import trace
from celery.exceptions import SecurityWarning
from celery.signals import setup_logging

from knowledge import logs
from workers import names
from workers.outages.redis_transport import TRANSPORT
from workers.settings import WorkerSettings


def create_app(settings: WorkerSettings) -> Celery:
    """One app for every process that enqueues or runs tasks."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = Celery("supportbot", broker=settings.resolved_broker_url)
    app.conf.update(
        task_ignore_result=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # At least once: a task is acknowledged after it ran, and re-queued if its worker died.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_routes={
            names.ANSWER: {"queue": names.KNOWLEDGE_QUEUE},
            names.GENERATE: {"queue": names.GENERATE_QUEUE},
            names.INGEST: {"queue": names.KNOWLEDGE_QUEUE},
            names.SYNC: {"queue": names.KNOWLEDGE_QUEUE},
            names.DIGEST: {"queue": names.KNOWLEDGE_QUEUE},  # it embeds: the index's owner
            "supportbot.deliver.*": {"queue": names.DELIVERY_QUEUE},
            names.RECORD_FEEDBACK: {"queue": names.FEEDBACK_QUEUE},
            names.SWEEP: {"queue": names.FEEDBACK_QUEUE},
            names.HANDOFF: {"queue": names.FEEDBACK_QUEUE},
        },
        task_default_queue=names.KNOWLEDGE_QUEUE,
        broker_connection_retry_on_startup=True,
        # `celery beat` (workers.schedule) sends the sweep; its state file lives with the data
        beat_schedule={
            "sweep": {
                "task": names.SWEEP,
                "schedule": float(settings.sweep_every_s),
                "options": {"expires": float(settings.sweep_every_s)},
            }
        },
        beat_schedule_filename=str((settings.data_dir / "beat-schedule").resolve()),
        worker_hijack_root_logger=False,
    )
    if settings.resolved_broker_url.startswith("redis://"):
        app.conf.broker_transport = TRANSPORT  # a worker that outlives a Redis drop
    if settings.resolved_broker_url.startswith(("redis", "rediss")):
        app.conf.broker_transport_options = {
            "visibility_timeout": settings.visibility_timeout_s,
            # kombu looks for tasks of dead workers every 10 s but scans only every 10th time:
            # scanning each time (one cheap Redis query) hands them on within ~10 s of the timeout
            "unacked_restore_throttle": 1,
        }
    return app


def worker_logging() -> None:
    """Worker processes log like every supportbot process (`knowledge.logs`): plain lines,
    libraries' chatter quieted. Called where a worker module is imported, before Celery's own
    start-up (which loads the model in `worker_init`, before it would set up logging itself).
    Celery's seven-line warning about running as root becomes one line: root is usual in a
    container; elsewhere, run workers as another user."""
    logs.configure("INFO")
    # Celery logs a task's return value with its success; ours hold questions and answers, and
    # logs at INFO carry no one's words (README, "What is kept"): the line keeps the rest.
    trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime)ss"
    warnings.filterwarnings("ignore", category=SecurityWarning)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        logging.getLogger("supportbot.worker").info(
            "Running as root (usual in a container; elsewhere, start workers as another user)."
        )


@setup_logging.connect
def _keep_plain_logs(loglevel: int | str | None = None, **_: Any) -> None:
    """Connected, so Celery leaves the handlers as `worker_logging` set them; `--loglevel` holds."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)
