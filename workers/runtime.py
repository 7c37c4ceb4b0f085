"""What a worker process loads once at start-up: the knowledge base and the model.

Loading happens in the `worker_init` signal, so a model that can't load stops the worker before it
takes any question (see `workers.main`). Tasks reach it through `current()`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from knowledge.answer import Answerer
from knowledge.base import KnowledgeBase
from knowledge.generate import load_generator
from workers import owner
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: WorkerSettings
    kb: KnowledgeBase
    answerer: Answerer


_current: Runtime | None = None


def start(settings: WorkerSettings) -> Runtime:
    """Load everything; raises with an actionable message when something is missing."""
    global _current
    generator = load_generator(settings)
    kb = KnowledgeBase(settings)
    if settings.uses_milvus_lite:
        owner.claim(settings)  # `supportbot ingest` hands its jobs to this process
    kb.vocabulary()  # counted now (about 0.3 s per 2,000 chunks), not in the first asker's time
    _current = Runtime(settings, kb, Answerer(kb, generator, settings))
    logger.info("Answering with %s", generator.info.model_dump(exclude_defaults=True))
    return _current


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("The worker runtime was not started (workers.main starts it).")
    return _current


def stop() -> None:
    global _current
    if _current is not None:
        owner.release(_current.settings)
        _current.kb.close()
        _current = None
