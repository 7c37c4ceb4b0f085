"""The sweeper: every question ends in an answer or an honest message, whatever failed.

Why a sweeper over the records rather than Celery's errbacks: an errback runs only when a task
fails in a worker. A question whose message expired unstarted, or sat with a worker that was
killed, or whose chain's delivery expired while the delivery worker was down, never fails
anywhere: it just stops. The records know every question that is still waiting, so one periodic
pass (`celery beat` sends it every SUPPORTBOT_SWEEP_EVERY_S) catches all of them the same way:

- failed (retries used up, a bug, expired unstarted): apologise in the thread now;
- claimed, and its task is in no queue and in no worker's hands (Redis lost it, or a worker was
  killed as it took it: see `workers.outages.broker`): send it again, so it is answered, not
  apologised for (with a broker that can't be read this way, the deadline below);
- claimed, with no answer by the answer deadline (expiry + visibility timeout + 1 min: no worker
  can still be on it): noted as failed, then apologise;
- answered but not posted after SUPPORTBOT_RESEND_AFTER_S: hand the answer to delivery again;
- being delivered, but that delivery has not tried for SUPPORTBOT_RESEND_AFTER_S (a live one
  touches the record at every try, at most a minute apart): its message was lost (a retry that
  the broker could not take, a killed worker), so take it back and hand it on.

Deliveries go through the platform's own task, by the name stored with the claim (workers/
knows no platform), and `Records.take_delivery` lets one of them post, never two.

The same pass tells each question that waits behind others how many are ahead of it (a message
in its thread, edited as the line moves; `names.place_in_line`), so a burst of questions is not
met with silence; and finds the docs syncs whose worker died mid-way (their row stopped beating:
see `knowledge.records.syncs`), marks them failed, and sends them again for when a worker is back.
And it removes the words of conversations older than SUPPORTBOT_RETENTION_DAYS
(`knowledge.records.privacy`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from celery import shared_task

from knowledge.answers.decline import sorry_text
from knowledge.models import Answer, ModelInfo
from knowledge.records import privacy
from knowledge.records.store import DRAFTING, Records, Reply, Waiting
from knowledge.records.syncs import SyncLog
from workers import names
from workers.enqueue import send_answer
from workers.outages.broker import task_ids
from workers.records import records, settings
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)
Step = Literal["wait", "resend", "apologise", "requeue"]
#: A sync whose worker died this many times is not sent again: something in it kills the worker.
MAX_SYNC_ATTEMPTS = 3


def next_step(
    waiting: Waiting,
    now: datetime,
    *,
    deadline_s: float,
    resend_after_s: float,
    lost: bool = False,
) -> Step:
    """What the sweeper does for one waiting question now (a pure decision); `lost`: the broker
    holds no task for it."""
    if waiting.reply is None:  # asked where no reply can go (the CLI): nothing to post
        return "wait"
    if waiting.swept_at and now - waiting.swept_at < timedelta(seconds=resend_after_s):
        return "wait"  # acted on lately: give that delivery its time
    if waiting.state == "failed":
        return "resend" if waiting.answered else "apologise"
    if waiting.state == "claimed" and now - waiting.asked_at > timedelta(seconds=deadline_s):
        return "apologise"
    if waiting.state == "claimed" and lost:
        return "requeue"
    idle = now - waiting.updated_at > timedelta(seconds=resend_after_s)
    if waiting.state == "answered" and idle:
        return "resend"
    if waiting.state == "delivering" and idle:
        return "resend" if waiting.answered else "apologise"
    return "wait"  # on its way; a delivery in progress retries by itself


def places_in_line(waiting: Sequence[Waiting]) -> dict[str, int]:
    """How many questions are ahead of each one still waiting for its answer: those asked
    before it and not answered yet (pure; `waiting` oldest first)."""
    ahead: dict[str, int] = {}
    for one in waiting:
        if one.state == "claimed":
            ahead[one.question.key] = len(ahead)
    return ahead


def worth_telling(waiting: Waiting, ahead: int) -> bool:
    """Tell a thread its place when someone is ahead of it, then each time the place changes,
    down to "yours is next" (pure)."""
    if waiting.reply is None or waiting.state != "claimed" or waiting.ahead == DRAFTING:
        return False  # no thread; the answer is on its way; its thread shows it being written
    return ahead >= 1 if waiting.ahead is None else ahead != waiting.ahead


@shared_task(name=names.SWEEP)
def sweep() -> dict[str, int]:
    """One pass over the waiting questions."""
    config, store = settings(), records()
    now = datetime.now(UTC)
    done = {"resent": 0, "apologised": 0, "told_place": 0, "requeued": 0}
    done["syncs_resent"] = _resend_stalled_syncs(config, store, now)
    done["expired"] = _expire(config, store, now)
    line = store.waiting(limit=500)
    places = places_in_line(line)
    lost = _lost(line, now, after_s=2 * config.sweep_every_s)
    for waiting in line:
        step = next_step(waiting, now, deadline_s=config.answer_deadline_s,
                         resend_after_s=config.resend_after_s,
                         lost=waiting.question.key in lost)  # fmt: skip
        if step == "requeue" and waiting.reply is not None:
            _requeue(waiting, waiting.reply, expires_s=config.task_expiry_s)
            store.swept(waiting.question.key)
            done["requeued"] += 1
            continue
        ahead = places.get(waiting.question.key, 0)
        if step == "wait" and waiting.reply is not None and worth_telling(waiting, ahead):
            _tell_place(waiting, waiting.reply, ahead, expires_s=config.sweep_every_s)
            done["told_place"] += 1
        if step == "wait" or waiting.reply is None:
            continue
        key = waiting.question.key
        if waiting.state == "delivering" and not store.reclaim(
            key, now - timedelta(seconds=config.resend_after_s)
        ):
            continue  # that delivery tried again meanwhile
        if step == "apologise":
            if waiting.state == "claimed":
                store.fail(key, f"no answer within {config.answer_deadline_s} s")
            logger.warning("Question %s got no answer (%s); telling the asker", key,
                           waiting.failure or "past the deadline")  # fmt: skip
            answer = _sorry(waiting)
        else:
            stored = store.stored_answer(key)
            if stored is None:
                continue
            answer = stored
            logger.warning("The answer to %s was not posted; handing it to delivery again", key)
        result = {"question": waiting.question.model_dump(mode="json"),
                  "answer": answer.model_dump(mode="json")}  # fmt: skip
        sweep.app.send_task(waiting.reply.task, args=(result,),
                            kwargs=waiting.reply.to | {"apology": step == "apologise"})  # fmt: skip
        store.swept(key)
        done["apologised" if step == "apologise" else "resent"] += 1
    return done


def _lost(line: Sequence[Waiting], now: datetime, *, after_s: float) -> set[str]:
    """The keys of questions claimed more than `after_s` ago whose task the broker no longer
    holds (none when it can't tell): a question just claimed may be on its way into a queue."""
    claimed = [w for w in line if w.state == "claimed" and w.reply is not None
               and now - w.asked_at > timedelta(seconds=after_s)]  # fmt: skip
    present = task_ids(sweep.app, names.ANSWER_QUEUES) if claimed else None
    if present is None:
        return set()
    return {w.question.key for w in claimed if names.answer_id(w.question.key) not in present}


def _requeue(waiting: Waiting, reply: Reply, *, expires_s: float) -> None:
    """Send a lost question's task again, chained to its delivery, as the adapter first did."""
    logger.warning("The task of question %s is gone from the broker (a worker died holding it, "
                   "or Redis lost it); sending it again", waiting.question.key)  # fmt: skip
    deliver = sweep.app.signature(reply.task, kwargs=reply.to)
    send_answer(sweep.app, waiting.question, expires_s=expires_s, then=deliver)


def _expire(config: WorkerSettings, store: Records, now: datetime) -> int:
    """Retention: the words of questions asked more than SUPPORTBOT_RETENTION_DAYS ago go."""
    if config.retention_days <= 0:
        return 0
    removed = privacy.expire(store, now - timedelta(days=config.retention_days))
    if removed.questions:
        logger.info("Retention (%d days) removed the words of %s", config.retention_days,
                    removed.summary())  # fmt: skip
    return removed.questions


def _resend_stalled_syncs(config: WorkerSettings, store: Records, now: datetime) -> int:
    """Mark each sync whose worker stopped beating as failed, and send it again (as a new run,
    up to `MAX_SYNC_ATTEMPTS`), so it runs once a worker is back."""
    log = SyncLog(store)
    cutoff = now - timedelta(seconds=config.sync_stalled_s)
    resent = 0
    for stalled in log.stalled(cutoff):
        request = stalled.request or {}
        kwargs = dict(request.get("kwargs") or {})
        attempt = int(kwargs.get("attempt", 0)) + 1
        run_id = f"{stalled.id.split('~', 1)[0]}~{attempt}"
        again = bool(request.get("task")) and attempt < MAX_SYNC_ATTEMPTS
        why = (f"the worker stopped during the sync (no word from it for "
               f"{config.sync_stalled_s} s); " + (f"sent again as run {run_id}" if again
               else f"not sent again (it stopped the worker {attempt} times)"))  # fmt: skip
        if not log.abandon(stalled.id, cutoff, why):
            continue  # its worker spoke meanwhile, or another sweeper took it
        logger.warning("Sync %s of %s: %s", stalled.id, stalled.source, why)
        if again:
            log.queued(run_id, stalled.source)
            sweep.app.send_task(str(request["task"]),
                                kwargs=kwargs | {"attempt": attempt, "run_id": run_id})  # fmt: skip
            resent += 1
    return resent


def _tell_place(waiting: Waiting, reply: Reply, ahead: int, *, expires_s: float) -> None:
    """A place in line is news for one sweep only: by the next, the line has moved."""
    extra = {"key": waiting.question.key, "ahead": ahead, "placeholder": waiting.placeholder}
    sweep.app.send_task(names.place_in_line(reply.task), kwargs=reply.to | extra,
                        expires=expires_s)  # fmt: skip


def _sorry(waiting: Waiting) -> Answer:
    contact = waiting.question.handoff_contact or settings().handoff_contact
    return Answer(
        question=waiting.question.text,
        standalone_question="",
        text=sorry_text(contact),
        confidence="none",
        declined=True,
        model=ModelInfo(backend="none"),
    )
