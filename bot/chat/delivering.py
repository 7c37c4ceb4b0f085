"""One delivery, the same on every platform: take the question, post once, record the post.

Slack's and Discord's delivery tasks (`bot/slack/delivery.py`, `bot/discord/delivery.py`) say
how to post and which errors are permanent; this says everything else:

- `Records.take_delivery` lets one delivery post in the thread (the chain's, or the sweeper's
  resend or apology), and lets a retry of that same delivery go on, but not a second copy of it
  while the first is posting (`pause_delivery` ends a failed post before its retry). A post can
  be held inside a platform client's own retries for longer than the broker's visibility timeout
  or the sweeper's patience (discord.py retries a 5xx for ~25 s, then our retry follows): while
  it is, a thread renews its lease (`hold_delivery`), so neither a redelivered copy nor the
  sweeper's resend posts a second time;
- a platform outage is retried for SUPPORTBOT_DELIVERY_RETRY_FOR_S (`workers.outages.retrying`), a
  permanent refusal (no access, channel gone) ends it, noted as undeliverable;
- a records outage after the post is retried for SUPPORTBOT_RECORDS_RETRY_FOR_S with the post
  remembered in the task's arguments (`posted`), so the retry records it without posting again.

While a question waits behind others, the sweeper has its thread told its place in line
(`tell_place`); once the model writes, the same message shows the answer so far (`show_draft`);
it is removed once the answer is posted (`remove_placeholder`). That message is a courtesy: a
failure to post or edit it is logged, not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from celery import Task
from sqlalchemy.exc import OperationalError

from knowledge.records.store import DRAFTING, POSTING_RENEW, Posted
from workers.outages.heartbeat import beating
from workers.outages.retrying import retry_later, through_records_outage
from workers.records import records, settings

logger = logging.getLogger(__name__)


def deliver_once(
    task: Task,
    *,
    key: str,
    apology: bool,
    posted: dict[str, Any] | None,
    post: Callable[[], Posted],
    permanent: Callable[[Exception], str | None],
    transient: Callable[[Exception], bool],
    platform: str,
    retry_for_s: float,
    for_review: bool = False,
) -> Posted | None:
    """Post through `post` unless another delivery has; the post, or None when nothing was
    posted (taken by another delivery, or refused for good). `permanent(exc)` is the reason a
    refusal is final, or None; `transient(exc)` says an outage explains it. `for_review`: the
    post is a draft for a teammate to approve (`bot.chat.reviewing`), not the reply to the asker."""
    if posted is not None:
        done = Posted(**posted)
    else:
        delivery_id = task.request.id or key
        try:
            taken = records().take_delivery(key, delivery_id, apology=apology)
        except OperationalError as exc:
            raise through_records_outage(
                task, exc, f"The records did not answer for {key}"
            ) from exc
        if not taken:
            logger.info("Question %s was delivered, or is being delivered, by another task; "
                        "not posting again", key)  # fmt: skip
            return None
        try:
            every_s = min(POSTING_RENEW.total_seconds(), settings().resend_after_s / 3)
            with beating(every_s, lambda: _hold(key, delivery_id), name=f"posting {key}"):
                done = post()
        except Exception as exc:
            reason = permanent(exc)
            if reason is None:
                _pause(key, delivery_id)
                what = f"{platform} did not take the answer to {key}"
                again = retry_later(task, exc, transient=transient(exc), window_s=retry_for_s,
                                    what=what)  # fmt: skip
                if again is not exc:
                    raise again from exc
                reason = f"gave up after {retry_for_s:.0f} s: {type(exc).__name__}: {exc}"
            logger.error("Cannot post the answer to %s on %s: %s (not retried)", key, platform,
                         reason)  # fmt: skip
            _undeliverable(key, reason)
            return None
    try:
        if for_review:
            records().in_review(key, done)
        else:
            records().delivered(key, done, apology=apology)
    except OperationalError as exc:
        kwargs = dict(task.request.kwargs or {}) | {"posted": asdict(done)}
        what = f"The records did not take the post of {key}"
        raise through_records_outage(task, exc, what, kwargs) from exc
    return done


def _hold(key: str, delivery_id: str) -> None:
    try:
        records().hold_delivery(key, delivery_id)
    except OperationalError:  # the records are down: the lease may lapse
        logger.warning("Could not renew the post of %s: the records are unreachable", key)


def _pause(key: str, delivery_id: str) -> None:
    try:
        records().pause_delivery(key, delivery_id)
    except OperationalError:  # the retry then waits out the posting lease, or the sweeper resends
        logger.warning("Could not note the failed post of %s: the records are unreachable", key)


def _undeliverable(key: str, reason: str) -> None:
    try:
        records().undeliverable(key, reason)
    except OperationalError:
        logger.warning("Could not note %s as undeliverable: the records are unreachable", key)


def place_in_line(ahead: int) -> str:
    """What a question waiting behind others says in its thread (pure)."""
    if ahead <= 0:
        return "⏳ Yours is next: I'm on it and will answer here."
    questions = "question is" if ahead == 1 else "questions are"
    return f"⏳ {ahead} {questions} ahead of yours. I'll answer here as soon as I can."


@dataclass(frozen=True)
class Placeholder:
    """How a platform posts (-> its id), edits and removes the one message a waiting question's
    thread shows: its place in line, then the answer being written."""

    post: Callable[[str], str]
    edit: Callable[[str, str], object]
    remove: Callable[[str], object]
    platform: str


def tell_place(key: str, ahead: int, current: str, message: Placeholder) -> bool:
    """Post, or update (`current`: its id), the question's place in line, noted in the
    records; True once told. Told only while the question waits and no draft of its answer is
    shown (see `show_draft`)."""
    return _show(key, place_in_line(ahead), ahead, current, message)


def show_draft(key: str, text: str, message: Placeholder) -> bool:
    """Show the answer as it is being written, in the question's placeholder message (posted
    now if there is none: the place-in-line message becomes the draft). The answer itself is
    then posted as its own message, with sources and buttons, and the draft removed, so a late
    draft can never overwrite the answer."""
    try:
        current = records().placeholder(key)
    except OperationalError:
        return False
    return _show(key, f"{text} …", DRAFTING, current, message)


def _show(key: str, text: str, ahead: int, current: str, message: Placeholder) -> bool:
    """Edit the placeholder once the records say it may be, or post one and keep it only if
    the records take it (the question still waits, and no other message got there first)."""
    try:
        if current:
            if not _note(key, ahead, current, was=current):
                return False
            message.edit(current, text)
            return True
        posted = message.post(text)
    except Exception as exc:  # a courtesy: the answer is what must not be lost
        logger.warning("Could not show %s its progress on %s: %s", key, message.platform, exc)
        return False
    if _note(key, ahead, posted, was=""):
        return True
    _quietly_remove(message, posted, key)
    return False


def _note(key: str, ahead: int, placeholder: str, *, was: str) -> bool:
    try:
        return records().told_ahead(key, ahead, placeholder, was=was)
    except OperationalError:
        logger.warning("Could not note the progress of %s: the records are unreachable", key)
        return False


def remove_placeholder(key: str, message: Placeholder) -> None:
    """Once the answer (or an apology) is in the thread, its "N questions ahead" goes."""
    try:
        current = records().placeholder(key)
    except OperationalError:
        logger.warning("Could not look up the place-in-line message of %s", key)
        return
    if current:
        _quietly_remove(message, current, key)


def _quietly_remove(message: Placeholder, current: str, key: str) -> None:
    try:
        message.remove(current)
    except Exception as exc:
        logger.warning("Could not remove the place-in-line message of %s on %s: %s", key,
                       message.platform, exc)  # fmt: skip


def post_notice(
    task: Task,
    *,
    post: Callable[[], object],
    permanent: Callable[[Exception], str | None],
    transient: Callable[[Exception], bool],
    what: str,
    retry_for_s: float,
) -> bool:
    """Post a notice (a sync's changes) through `post`: an outage is retried for `retry_for_s`
    as deliveries are, a permanent refusal (no access, channel gone) is logged and dropped.
    A notice has no question behind it, so no records; True once posted."""
    try:
        post()
    except Exception as exc:
        reason = permanent(exc)
        if reason is None:
            again = retry_later(task, exc, transient=transient(exc), window_s=retry_for_s,
                                what=f"{what} was not taken")  # fmt: skip
            if again is not exc:
                raise again from exc
            reason = f"gave up after {retry_for_s:.0f} s: {type(exc).__name__}: {exc}"
        logger.error("Cannot post %s: %s (not retried)", what, reason)
        return False
    return True
