"""Models to rows and back: the records keep `knowledge.models` objects as table rows and rebuild
them as written (a redelivered question gets back the very answer the model wrote)."""

from __future__ import annotations

from datetime import UTC, datetime

from knowledge.models import (
    Answer,
    Citation,
    Grounding,
    ModelInfo,
    Question,
    Source,
    Timings,
    Turn,
)
from knowledge.records.tables import AskedQuestion, StoredAnswer, utcnow


def question_row(question: Question, reply_task: str, reply_to: dict) -> AskedQuestion:
    return AskedQuestion(
        key=question.key, platform=question.platform, workspace=question.workspace,
        channel=question.channel, thread=question.thread, user=question.user,
        text=question.text, history=[t.model_dump() for t in question.history],
        event_id=question.event_id, collections=question.collections,
        handoff_contact=question.handoff_contact, answer_bar=question.answer_bar,
        refresh=question.refresh, supersedes=question.supersedes,
        state="claimed", updated_at=utcnow(),
        reply_task=reply_task, reply_to=reply_to,
    )  # fmt: skip


def question_of(asked: AskedQuestion) -> Question:
    return Question(
        platform=asked.platform, workspace=asked.workspace, channel=asked.channel,
        thread=asked.thread, user=asked.user, text=asked.text, event_id=asked.event_id,
        history=[Turn.model_validate(t) for t in asked.history], collections=asked.collections,
        handoff_contact=asked.handoff_contact, answer_bar=asked.answer_bar,
        refresh=asked.refresh, supersedes=asked.supersedes,
    )  # fmt: skip


def answer_row(question: Question, answer: Answer) -> StoredAnswer:
    return StoredAnswer(
        platform=question.platform, text=answer.text, note=answer.note,
        standalone_question=answer.standalone_question,
        citations=[c.model_dump() for c in answer.citations],
        retrieved=[s.model_dump() for s in answer.retrieved],
        confidence=answer.confidence, declined=answer.declined, handed_off=answer.handed_off,
        model_backend=answer.model.backend, model_repo=answer.model.repo,
        model_revision=answer.model.revision, adapter_repo=answer.model.adapter_repo,
        adapter_revision=answer.model.adapter_revision, timings=answer.timings.model_dump(),
        grounding=answer.grounding.model_dump() if answer.grounding else None,
    )  # fmt: skip


def answer_of(row: StoredAnswer) -> Answer:
    return Answer(
        question=row.question.text, standalone_question=row.standalone_question, text=row.text,
        note=row.note or "",
        citations=[Citation.model_validate(c) for c in row.citations],
        confidence=row.confidence,  # type: ignore[arg-type]
        declined=row.declined, handed_off=row.handed_off,
        retrieved=[Source.model_validate(s) for s in row.retrieved],
        model=ModelInfo(backend=row.model_backend, repo=row.model_repo,
                        revision=row.model_revision, adapter_repo=row.adapter_repo,
                        adapter_revision=row.adapter_revision),
        timings=Timings.model_validate(row.timings),
        grounding=Grounding.model_validate(row.grounding) if row.grounding else None,
    )  # fmt: skip


def utc(moment: datetime) -> datetime:
    """Everything is stored in UTC; SQLite returns naive datetimes, which are UTC as written."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
