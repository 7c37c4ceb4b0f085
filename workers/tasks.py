"""Platform-free tasks: thin, keyword arguments, one call into knowledge/, plain JSON out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import shared_task

from knowledge.generate.hosted import GenerationError
from knowledge.models import Answer, ModelInfo, Question
from knowledge.retrieve import EmptyQuestionError
from workers import names
from workers.runtime import current

logger = logging.getLogger(__name__)
USAGE = "Ask me a question about our product, e.g. “how do I reset my password?”"


@shared_task(
    name=names.ANSWER,
    autoretry_for=(GenerationError,),
    retry_backoff=True,
    max_retries=3,
)
def answer(*, question: dict[str, Any]) -> dict[str, Any]:
    """Question -> {"question", "answer"}; a redelivered question returns the stored answer."""
    asked = Question.model_validate(question)
    runtime = current()
    stored = runtime.ledger.answer(asked.key)
    if stored is not None:
        logger.info("Question %s was answered before; reusing that answer", asked.key)
        return stored
    try:
        reply = runtime.answerer.answer(
            asked.text,
            history=asked.history,
            collections=asked.collections,
            handoff_contact=asked.handoff_contact,
        )
    except EmptyQuestionError:
        reply = Answer(
            question="",
            standalone_question="",
            text=USAGE,
            confidence="none",
            declined=True,
            model=ModelInfo(backend="none"),
        )
    result = {"question": asked.model_dump(mode="json"), "answer": reply.model_dump(mode="json")}
    runtime.ledger.record_answer(asked.key, result)
    return result


@shared_task(name=names.INGEST)
def ingest(*, paths: list[str], collection: str | None = None, base_url: str | None = None) -> dict:
    """Ingest through the worker that owns a Milvus Lite index."""
    report = current().kb.ingest([Path(p) for p in paths], collection=collection, base_url=base_url)
    return report.model_dump(mode="json")
