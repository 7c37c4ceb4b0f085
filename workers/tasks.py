"""Platform-free tasks: thin, keyword arguments, one call into knowledge/, plain JSON out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from knowledge.generate.hosted import GenerationError
from knowledge.models import Answer, ModelInfo, Question
from knowledge.retrieve import EmptyQuestionError
from workers import names
from workers.records import records
from workers.retrying import retry_later, through_records_outage
from workers.runtime import current

logger = logging.getLogger(__name__)
USAGE = "Ask me a question about our product, e.g. “how do I reset my password?”"
#: A hosted model that fails is tried again for this long (1, 2, 4, 8 s), then the asker is told.
GENERATION_RETRY_FOR_S = 15


class Answering(Task):
    """Notes a question that will get no answer (retries used up, a bug) in the records, so the
    sweeper tells the asker; Celery calls `on_failure` once, after the last retry."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        key = Question.model_validate(kwargs["question"]).key
        logger.error("Question %s gets no answer: %s: %s", key, type(exc).__name__, exc)
        records().fail(key, f"{type(exc).__name__}: {exc}")


@shared_task(bind=True, base=Answering, name=names.ANSWER, max_retries=None)
def answer(
    self: Task, *, question: dict[str, Any], written: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Question -> {"question", "answer"}, the answer written to the records once; a redelivered
    question returns the stored answer. Through a records outage the answer is kept in the
    task's arguments (`written`) and stored when the database is back, not computed again."""
    asked = Question.model_validate(question)
    try:
        if written is not None:
            return _store(asked, Answer.model_validate(written))
        stored = records().stored_answer(asked.key)
    except OperationalError as exc:
        raise _later(self, exc, asked, written) from exc
    if stored is not None:
        logger.info("Question %s was answered before; reusing that answer", asked.key)
        return _result(asked, stored)
    try:
        reply = _compute(asked)
    except GenerationError as exc:  # the model server is down or overloaded: a few tries
        raise retry_later(self, exc, transient=True, window_s=GENERATION_RETRY_FOR_S,
                          what=f"The model did not answer {asked.key}") from exc  # fmt: skip
    try:
        return _store(asked, reply)
    except OperationalError as exc:
        raise _later(self, exc, asked, reply.model_dump(mode="json")) from exc


def _compute(asked: Question) -> Answer:
    runtime = current()
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
    return reply


def _store(asked: Question, reply: Answer) -> dict[str, Any]:
    if not records().record_answer(asked, reply):  # another worker wrote it first: use that one
        reply = records().stored_answer(asked.key) or reply
    return _result(asked, reply)


def _later(
    task: Task, exc: Exception, asked: Question, written: dict[str, Any] | None
) -> Exception:
    """Wait out a records outage; the answer, once computed, travels with the retry."""
    kwargs = {"question": asked.model_dump(mode="json"), "written": written}
    what = f"The records did not take the answer to {asked.key}"
    return through_records_outage(task, exc, what, kwargs)


def _result(question: Question, answer: Answer) -> dict[str, Any]:
    return {"question": question.model_dump(mode="json"), "answer": answer.model_dump(mode="json")}


@shared_task(name=names.INGEST)
def ingest(*, paths: list[str], collection: str | None = None, base_url: str | None = None) -> dict:
    """Ingest through the worker that owns a Milvus Lite index."""
    report = current().kb.ingest([Path(p) for p in paths], collection=collection, base_url=base_url)
    return report.model_dump(mode="json")
