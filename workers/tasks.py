"""Platform-free tasks: thin, keyword arguments, one call into knowledge/, plain JSON out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from celery import Task, shared_task
from celery.canvas import Signature
from celery.signals import task_revoked
from sqlalchemy.exc import OperationalError

from knowledge.answers.answer import write
from knowledge.answers.generate.hosted import GenerationError
from knowledge.answers.refresh import NOTE, differs
from knowledge.disk import write_failure
from knowledge.index.store import StoreUnavailableError
from knowledge.models import Answer, Draft, ModelInfo, Question, SyncReport
from knowledge.records.syncs import SyncLog
from knowledge.search.retrieve import EmptyQuestionError
from knowledge.sync.notice import worth_telling
from knowledge.sync.run import SyncProgress, ingest_paths, ingesting
from knowledge.sync.run import sync as run_sync
from knowledge.sync.sources import INGEST_SOURCE, Source
from workers import enqueue, names
from workers.after_answers import refresh
from workers.answering import turns
from workers.answering.runtime import current, generator, similarity
from workers.answering.streaming import Throttle, drafts
from workers.outages.heartbeat import beating
from workers.outages.retrying import retry_later, through_records_outage
from workers.records import records, settings

logger = logging.getLogger(__name__)
T = TypeVar("T")
USAGE = "Ask me a question about our product, e.g. “how do I reset my password?”"
#: A hosted model that fails is tried again for this long (1, 2, 4, 8 s), then the asker is told.
GENERATION_RETRY_FOR_S = 15
#: Who escalated a question the bot handed to a person itself (below its channel's bar).
HANDED_OFF_BY = "supportbot"


class Answering(Task):
    """Notes a question that will get no answer (retries used up, a bug) in the records, so the
    sweeper tells the asker; Celery calls `on_failure` once, after the last retry."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        key = Question.model_validate(kwargs["question"]).key
        logger.error("Question %s gets no answer: %s: %s", key, type(exc).__name__, exc)
        records().fail(key, f"{type(exc).__name__}: {exc}")


@shared_task(bind=True, base=Answering, name=names.ANSWER, max_retries=None)
def answer(
    self: Task,
    *,
    question: dict[str, Any],
    written: dict[str, Any] | None = None,
    waited_for: list[str] | None = None,
) -> dict[str, Any]:
    """Question -> {"question", "answer"}, the answer written to the records once; a redelivered
    question returns the stored answer. Runs where the index is: retrieves, and either answers
    here (a decline; quoting) or is replaced by `generate` on the generation workers, which the
    rest of the chain (the delivery) then follows. Through a records outage the answer is kept
    in the task's arguments (`written`) and stored when the database is back."""
    asked = Question.model_validate(question)
    stored = _stored(self, asked, written)
    if stored is not None:
        return stored
    asked = _in_turn(self, asked, waited_for or [])
    runtime = current()
    try:
        prepared = runtime.answerer.prepare(asked.text, history=asked.history,
                                            collections=asked.collections,
                                            handoff_contact=asked.handoff_contact,
                                            answer_bar=asked.answer_bar)  # fmt: skip
    except EmptyQuestionError:
        prepared = _usage()
    except StoreUnavailableError as exc:  # a Milvus server down or restarting: later, not lost
        # A task starts before its expiry, and the sweeper tells the asker a visibility timeout
        # (and a minute) after it: tries within that window end before the asker is told.
        raise retry_later(self, exc, transient=True, window_s=settings().visibility_timeout_s,
                          what=f"The index did not answer for {asked.key}") from exc  # fmt: skip
    if isinstance(prepared, Draft):
        if runtime.writer is None:
            return self.replace(_generation(self, asked, prepared))
        prepared = write(prepared, runtime.writer)
    return _store_or_later(self, asked, prepared)


@shared_task(bind=True, base=Answering, name=names.GENERATE, max_retries=None)
def generate(
    self: Task,
    *,
    question: dict[str, Any],
    draft: dict[str, Any],
    written: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The model's half of `answer`, on a generation worker: the draft's prompt -> the answer,
    written to the records once (a redelivered draft returns the stored answer)."""
    asked = Question.model_validate(question)
    stored = _stored(self, asked, written)
    if stored is not None:
        return stored
    try:
        reply = write(Draft.model_validate(draft), generator(), _streamed(self, asked),
                      similarity())  # fmt: skip
    except GenerationError as exc:  # the model server is down or overloaded: a few tries
        raise retry_later(self, exc, transient=True, window_s=GENERATION_RETRY_FOR_S,
                          what=f"The model did not answer {asked.key}") from exc  # fmt: skip
    return _store_or_later(self, asked, reply)


def _in_turn(task: Task, asked: Question, waited_for: list[str]) -> Question:
    """The question once the earlier questions of its thread are posted (until then the task
    comes back every `WAIT_TURN_S`), with their answers added to its thread's history. The wait
    is bounded: an earlier question that gets no answer is told so by the sweeper, and stops
    waiting then."""
    earlier = _quietly(lambda: records().earlier_in_thread(asked.key)) or []
    waiting = turns.ahead(earlier)
    if waiting:
        logger.info("Question %s waits for %s, asked before it in its thread", asked.key,
                    ", ".join(waiting))  # fmt: skip
        kwargs = dict(task.request.kwargs or {}) | {"waited_for": sorted({*waited_for, *waiting})}
        raise task.retry(countdown=turns.WAIT_TURN_S, kwargs=kwargs)
    if not waited_for:
        return asked
    return asked.model_copy(update={"history": turns.caught_up(asked.history, earlier, waited_for)})


def _streamed(task: Task, asked: Question) -> Throttle | None:
    """Where the answer so far goes while the model writes it: the question's thread, through
    its platform's delivery (none for a question asked where no reply goes, or when turned off)."""
    every_s = settings().stream_every_s
    reply = _quietly(lambda: records().reply(asked.key)) if every_s > 0 else None
    return drafts(task.app, reply, asked.key, every_s) if reply else None


def _generation(task: Task, asked: Question, draft: Draft) -> Signature:
    """The `generate` task for a draft, expiring when the question would have: a question never
    outlives the sweeper's deadline however long each queue held it."""
    kwargs = {"question": asked.model_dump(mode="json"), "draft": draft.model_dump(mode="json")}
    return task.app.signature(names.GENERATE, kwargs=kwargs,
                              options={"expires": task.request.expires})  # fmt: skip


def _stored(task: Task, asked: Question, written: dict[str, Any] | None) -> dict[str, Any] | None:
    """The result for a question answered before (a redelivery, or a retry carrying its answer
    through a records outage), or None when it is still to be answered."""
    try:
        if written is not None:
            return _store(asked, Answer.model_validate(written))
        stored = records().stored_answer(asked.key)
    except OperationalError as exc:
        raise _later(task, exc, asked, written) from exc
    if stored is None:
        return None
    logger.info("Question %s was answered before; reusing that answer", asked.key)
    return _result(asked, stored)


def _usage() -> Answer:
    return Answer(question="", standalone_question="", text=USAGE, confidence="none",
                  declined=True, model=ModelInfo(backend="none"))  # fmt: skip


def _store_or_later(task: Task, asked: Question, reply: Answer) -> dict[str, Any]:
    try:
        return _store(asked, reply)
    except OperationalError as exc:
        raise _later(task, exc, asked, reply.model_dump(mode="json")) from exc


def _store(asked: Question, reply: Answer) -> dict[str, Any]:
    new = True
    if asked.supersedes:  # asked again after its docs changed: posted only if it says more
        earlier = records().stored_answer(asked.supersedes)
        new = earlier is None or differs(earlier, reply)
        reply = reply.model_copy(update={"note": NOTE}) if new else reply
    if not records().record_answer(asked, reply):  # another worker wrote it first: use that one
        reply = records().stored_answer(asked.key) or reply
    elif not new:
        logger.info("Question %s, asked again, has the same answer as before: not posted",
                    asked.supersedes)  # fmt: skip
        records().unchanged(asked.key)
    elif reply.handed_off and _quietly(lambda: records().escalate(asked.key, HANDED_OFF_BY)):
        enqueue.handoff(answer.app, asked.key)  # the team's ticket webhook, if one is set
    return _result(asked, reply)


def _later(
    task: Task, exc: Exception, asked: Question, written: dict[str, Any] | None
) -> Exception:
    """Wait out a records outage; the answer, once computed, travels with the retry."""
    kwargs = dict(task.request.kwargs or {}) | {"written": written}
    what = f"The records did not take the answer to {asked.key}"
    return through_records_outage(task, exc, what, kwargs)


def _result(question: Question, answer: Answer) -> dict[str, Any]:
    return {"question": question.model_dump(mode="json"), "answer": answer.model_dump(mode="json")}


@task_revoked.connect
def _expired(sender: Any = None, request: Any = None, expired: bool = False, **_: Any) -> None:
    """A question that waited past its expiry (for retrieval or for the model) is dropped
    unstarted: note it, so the sweeper tells the asker now rather than at the answer deadline."""
    if expired and request is not None and getattr(sender, "name", "") in _QUESTION_TASKS:
        key = Question.model_validate(request.kwargs["question"]).key
        logger.warning("Question %s expired before a worker could start it", key)
        records().fail(key, f"expired: not started within {settings().task_expiry_s} s")


_QUESTION_TASKS = frozenset({names.ANSWER, names.GENERATE})


@shared_task(bind=True, name=names.INGEST, acks_late=False)
def ingest(
    self: Task,
    *,
    paths: list[str],
    collection: str | None = None,
    base_url: str | None = None,
    private: bool = False,
    run_id: str = "",
    attempt: int = 0,
) -> dict[str, Any]:
    """`supportbot ingest PATHS` through the worker that owns a Milvus Lite index, reported in
    the records' syncs as it goes."""

    def work(progress: SyncProgress) -> SyncReport:
        return ingest_paths(current().kb, [Path(p) for p in paths], collection=collection,
                            base_url=base_url, private=private,
                            progress=ingesting(progress))  # fmt: skip

    again = {"paths": paths, "collection": collection, "base_url": base_url, "private": private}
    request = {"task": names.INGEST, "kwargs": again | {"attempt": attempt}}
    return _followed(run_id or self.request.id, INGEST_SOURCE, work, request).model_dump(
        mode="json"
    )


@shared_task(bind=True, name=names.SYNC, acks_late=False)
def sync(
    self: Task, *, source: dict[str, Any], run_id: str = "", attempt: int = 0
) -> dict[str, Any]:
    """Sync one docs source (sent by beat on its schedule, or by `supportbot ingest URL`).

    Acknowledged when it starts, not when it ends: a sync can outlast the broker's redelivery
    timeout. One cut short by a dead worker is sent again by the sweeper (see `records.syncs`)."""
    chosen = Source.model_validate(source)
    run_id = run_id or self.request.id
    previous = _quietly(lambda: _sync_log().previous(chosen.name, run_id))
    request = {"task": names.SYNC, "kwargs": {"source": source, "attempt": attempt}}

    def work(progress: SyncProgress) -> SyncReport:
        synced = run_sync(current().kb, chosen, progress=progress)
        return _with_affected(self, synced, run_id)

    report = _followed(run_id, chosen.name, work, request)
    if chosen.notify_channel and worth_telling(report, previous.error if previous else ""):
        _tell(self, chosen.notify_channel, report)
    return report.model_dump(mode="json")


def _with_affected(task: Task, report: SyncReport, run_id: str) -> SyncReport:
    """The report with the recent answers that cited a page it changed
    (`workers.after_answers.refresh`); a records outage costs that list only: the sync is done."""
    config = settings()
    try:
        return refresh.affected(
            task.app, records(), report, run_id, now=datetime.now(UTC),
            days=config.refresh_days, expires_s=config.task_expiry_s,
        )  # fmt: skip
    except OperationalError:
        logger.warning("Could not look for the answers %s's sync made stale", report.source)
        return report


def _tell(task: Task, where: tuple[str, str], report: SyncReport) -> None:
    """A broker that refuses the notice costs the notice only: the sync is done and recorded."""
    try:
        enqueue.notice(task.app, where, report)
    except Exception:
        logger.exception("Could not send the notice of %s's sync to %s", report.source, where[0])


def _followed(
    run_id: str,
    source: str,
    work: Callable[[SyncProgress], SyncReport],
    request: dict[str, Any],
) -> SyncReport:
    """Run `work`, keeping its row in the records' syncs up to date for whoever follows it, and
    beating while it runs (a row that stops beating belongs to a dead worker).

    The records are a courtesy to the follower here: through a records outage the sync still
    runs, and says what it did in the log."""
    _quietly(lambda: _sync_log().running(run_id, source, request))
    every_s = max(1.0, settings().sync_stalled_s / 6)
    with beating(every_s, lambda: _quietly(lambda: _sync_log().beat(run_id)), name=run_id):
        return _run_followed(run_id, source, work)


def _run_followed(
    run_id: str, source: str, work: Callable[[SyncProgress], SyncReport]
) -> SyncReport:
    last = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= 1.0 or done == total:
            last = time.monotonic()
            _quietly(lambda: _sync_log().progress(run_id, stage, done, total))

    try:
        report = work(progress)
    except Exception as exc:
        logger.exception("Sync %s of %s failed", run_id, source)
        why = write_failure(exc, settings()) or f"{type(exc).__name__}: {exc}"
        _quietly(lambda: _sync_log().failed(run_id, why))
        raise
    logger.info("Synced %s", report.summary())
    _quietly(lambda: _sync_log().finished(run_id, report))
    return report


def _sync_log() -> SyncLog:
    return SyncLog(records())


def _quietly(read_or_write: Callable[[], T]) -> T | None:
    """The records' answer, or None through an outage (logged): a sync goes on without them."""
    try:
        return read_or_write()
    except OperationalError as exc:
        logger.warning("The records did not answer about a sync: %s", exc)
        return None
