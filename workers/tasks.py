"""Platform-free tasks: thin, keyword arguments, one call into knowledge/, plain JSON out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Task, shared_task

from knowledge.generate.hosted import GenerationError
from knowledge.models import Answer, ModelInfo, Question
from knowledge.retrieve import EmptyQuestionError
from workers import names
from workers.records import records
from workers.runtime import current

logger = logging.getLogger(__name__)
USAGE = "Ask me a question about our product, e.g. “how do I reset my password?”"


class Answering(Task):
    """Notes a question that will get no answer (retries used up, a bug) in the records, so the
    sweeper tells the asker; Celery calls `on_failure` once, after the last retry."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        key = Question.model_validate(kwargs["question"]).key
        logger.error("Question %s gets no answer: %s: %s", key, type(exc).__name__, exc)
        records().fail(key, f"{type(exc).__name__}: {exc}")


@shared_task(
    base=Answering,
    name=names.ANSWER,
    autoretry_for=(GenerationError,),
    retry_backoff=True,
    max_retries=3,
)
def answer(*, question: dict[str, Any]) -> dict[str, Any]:
    """Question -> {"question", "answer"}, the answer written to the records once; a redelivered
    question returns the stored answer."""
    asked = Question.model_validate(question)
    runtime = current()
    stored = records().stored_answer(asked.key)
    if stored is not None:
        logger.info("Question %s was answered before; reusing that answer", asked.key)
        return _result(asked, stored)
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
    if not records().record_answer(asked, reply):  # another worker wrote it first: use that one
        reply = records().stored_answer(asked.key) or reply
    return _result(asked, reply)


def _result(question: Question, answer: Answer) -> dict[str, Any]:
    return {"question": question.model_dump(mode="json"), "answer": answer.model_dump(mode="json")}


@shared_task(name=names.INGEST)
def ingest(*, paths: list[str], collection: str | None = None, base_url: str | None = None) -> dict:
    """Ingest through the worker that owns a Milvus Lite index."""
    report = current().kb.ingest([Path(p) for p in paths], collection=collection, base_url=base_url)
    return report.model_dump(mode="json")
