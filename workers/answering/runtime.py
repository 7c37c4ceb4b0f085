"""What a worker process loads once at start-up: the index (knowledge worker) or the model
(generation worker), never both.

The worker that owns the index retrieves and hands a `Draft` to the `generate` queue, so a
question never waits behind another one's generation to be retrieved, and generation workers
scale on their own. Loading happens in the `worker_init` signal, so a model or an index that
can't load stops the worker before it takes any question (see `workers.main` and
`workers.generation`). Tasks reach it through `current()` and `generator()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from knowledge.answers.answer import Answerer
from knowledge.answers.generate import Generator, load_generator
from knowledge.answers.generate.extractive import ExtractiveGenerator
from knowledge.answers.grounding import Similarity
from knowledge.index.embedding import closeness, load_embedding
from knowledge.search.base import KnowledgeBase
from workers.answering import owner
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The knowledge worker's: the index, and the answer pipeline's first half."""

    settings: WorkerSettings
    kb: KnowledgeBase
    answerer: Answerer
    #: Writes answers here when no model is configured (quoting costs milliseconds); None when
    #: drafts go to the generation workers.
    writer: Generator | None


_current: Runtime | None = None
_generator: Generator | None = None
_similarity: Similarity | None = None


def start(settings: WorkerSettings) -> Runtime:
    """Open the index; raises with an actionable message when something is missing."""
    global _current
    kb = KnowledgeBase(settings)
    if settings.uses_milvus_lite:
        owner.claim(settings)  # `supportbot ingest` hands its jobs to this process
    kb.vocabulary()  # counted now (about 0.3 s per 2,000 chunks), not in the first asker's time
    writer = ExtractiveGenerator() if settings.generator == "extractive" else None
    _current = Runtime(settings, kb, Answerer(kb, None, settings), writer)
    if writer is None:
        logger.info("Retrieving here; the generation workers write the answers (queue generate)")
    else:
        logger.info("Answering by quoting the docs (SUPPORTBOT_GENERATOR=extractive)")
    return _current


def start_generation(settings: WorkerSettings) -> Generator:
    """Load the model (or reach the hosted one); raises `ModelLoadError` naming what to fix."""
    global _generator, _similarity
    _generator = load_generator(settings)
    _similarity = closeness(load_embedding(settings))  # the grounding check's sense of meaning
    logger.info("Answering with %s", _generator.info.model_dump(exclude_defaults=True))
    return _generator


def start_or_leave(what: str, start: Callable[[], object]) -> None:
    """Run a worker's start-up (from `worker_init`). Celery logs and swallows exceptions from
    signal handlers, and a worker without its index or model must not take questions: it
    leaves, with the reason in one line."""
    try:
        start()
    except Exception as exc:
        logging.getLogger("supportbot.worker").critical("%s cannot start: %s", what, exc)
        raise SystemExit(1) from exc


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("The worker runtime was not started (workers.main starts it).")
    return _current


def generator() -> Generator:
    if _generator is None:
        raise RuntimeError("No model in this process (workers.generation loads it).")
    return _generator


def similarity() -> Similarity | None:
    """The embedding model's similarity, for checking a model's answer against its sources."""
    return _similarity


def stop() -> None:
    global _current, _generator, _similarity
    if _current is not None:
        owner.release(_current.settings)
        _current.kb.close()
        _current = None
    _generator = None
    _similarity = None
