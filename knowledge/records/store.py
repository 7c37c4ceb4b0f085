"""The records of every question's life, and the only module that runs their SQL.

SQLite by default, PostgreSQL by URL; migrated to the latest schema on open. Every write is
idempotent or conditional, because the queue delivers at least once and processes race: a
question is claimed once (its key is unique), its answer written once, one delivery posts it
(`take_delivery`), a vote is the latest reaction per person and answer (by the platform's time,
so order of arrival doesn't matter), a correction is stored once per platform event.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.sql.dml import Update

from knowledge.models import (
    Answer,
    Feedback,
    Question,
)
from knowledge.records.rows import answer_of, answer_row, question_of, question_row, utc
from knowledge.records.tables import (
    WAITING,
    AskedQuestion,
    Correction,
    StoredAnswer,
    Vote,
    utcnow,
)

MIGRATIONS = Path(__file__).parent / "migrations"
_migrating = threading.Lock()
#: A post that began this long ago and never ended died with its worker: its delivery may retry.
#: A live post renews it every `POSTING_RENEW` (a platform client's own retries can hold one
#: for minutes), so only a dead one lets it pass.
POSTING_LEASE = timedelta(minutes=2)
POSTING_RENEW = timedelta(seconds=15)
#: `ahead` of a question whose answer is being written into its placeholder message (streamed):
#: the sweeper no longer tells it a place in line.
DRAFTING = -1
_LOCK_KEY = 0x5B0F_EED  # the advisory lock that serialises migrations on PostgreSQL


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


@dataclass(frozen=True)
class Reply:
    """Where a question's reply goes: the platform's delivery task, by name, and its keyword
    arguments (plain JSON), so that the sweeper can post in the thread without knowing how."""

    task: str
    to: dict[str, Any]


@dataclass(frozen=True)
class Waiting:
    """A question whose asker has not heard back yet, as the sweeper sees it."""

    question: Question
    state: str
    answered: bool
    reply: Reply | None
    asked_at: datetime
    updated_at: datetime
    swept_at: datetime | None
    failure: str
    ahead: int | None = None
    placeholder: str = ""


@dataclass(frozen=True)
class Posted:
    """Where an answer was posted: its message (votes point at it) and its thread (corrections)."""

    message_ref: str
    place: str


@dataclass(frozen=True)
class AskedThread:
    """The questions of one thread: who asked the first, how many, and when the last was asked
    or answered (what decides whether a reply in the thread is a follow-up)."""

    asker: str
    questions: int
    last_activity: datetime


@dataclass(frozen=True)
class Earlier:
    """A question asked before another in the same thread: still waiting for its answer, or
    answered with `answer` (None: declined, failed or told)."""

    key: str
    waiting: bool
    answer: str | None


@dataclass(frozen=True)
class Handoff:
    """Where one posted answer's question stands with the people: who asked it, whom it hands off
    to, and whether it was escalated or resolved."""

    key: str
    asker: str
    contact: str | None
    escalated: bool
    resolved: bool


@dataclass(frozen=True)
class Cited:
    """A posted answer that cited a page: its question, where its reply went, and whether its
    channel wants it answered again when that page changes."""

    question: Question
    reply: Reply
    refresh: bool


@dataclass(frozen=True)
class Approval:
    """What a press of a draft's "Post" did: `approved` for the first press only; `by`, whoever
    approved it (them, or the teammate who was first); `review_ref`, the draft's message."""

    approved: bool
    by: str
    review_ref: str


def review_event(key: str) -> str:
    """The event id of a reviewer's edit of a question's draft: one per question."""
    return f"review:{key}"


@dataclass(frozen=True)
class Escalation:
    """A question someone asked a person to take over: what the handoff webhook sends."""

    question: Question
    answer: Answer | None
    escalated_by: str
    escalated_at: datetime


class Records:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if self.engine.url.database and self.engine.url.database != ":memory:":
                Path(self.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        self.upgrade()
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Bring the schema to the latest migration (a no-op when it is there already).
        Alembic's context is process-global, so migrations run one at a time per process; across
        processes starting together, an advisory lock (PostgreSQL) or a lock file beside the
        database (SQLite, whose DDL would otherwise race: "table already exists") serialises them.
        """
        config = alembic_config(str(self.engine.url.render_as_string(hide_password=False)))
        database = self.engine.url.database
        beside = (
            FileLock(f"{database}.migrating")
            if self.engine.dialect.name == "sqlite" and database and database != ":memory:"
            else contextlib.nullcontext()
        )
        sqlite = self.engine.dialect.name == "sqlite"
        with _migrating, beside, self.engine.connect() as connection:
            if sqlite:  # SQLite rebuilds a table to alter it: not with its rows' keys checked
                _pragma(connection, "foreign_keys = OFF")
            with connection.begin():
                if connection.dialect.name == "postgresql":  # one process at a time per database
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            if sqlite:
                _pragma(connection, "foreign_keys = ON")

    def close(self) -> None:
        self.engine.dispose()

    # -- a question's life -------------------------------------------------------------------
    def claim(self, question: Question, reply: Reply | None = None) -> bool:
        """Take a question: True for the first caller only (the unique key decides, across
        processes), so a retried event or a redelivered message is taken once."""
        try:
            with self.sessions.begin() as session:
                session.add(
                    question_row(question, reply.task if reply else "", reply.to if reply else {})
                )
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        """Give back a claim that led nowhere (the queue refused the question), so that the
        platform's retry or the asker's next try is taken. Anything further along stays."""
        with self.sessions.begin() as session:
            session.execute(
                delete(AskedQuestion).where(
                    AskedQuestion.key == key, AskedQuestion.state == "claimed"
                )
            )

    def state(self, key: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(AskedQuestion.state).where(AskedQuestion.key == key))

    def record_answer(
        self, question: Question, answer: Answer, posted: Posted | None = None
    ) -> bool:
        """Store a question's answer, once: False if it has one already (the first stays).
        With `posted`, the answer is recorded as delivered there (an answer given elsewhere)."""
        for _attempt in range(2):  # a racing writer may insert the question between our steps
            try:
                with self.sessions.begin() as session:
                    asked = session.scalar(
                        select(AskedQuestion)
                        .where(AskedQuestion.key == question.key)
                        .options(selectinload(AskedQuestion.answer))
                    )
                    if asked is None:
                        asked = question_row(question, "", {})
                        session.add(asked)
                    elif asked.answer is not None:
                        return False
                    asked.answer = answer_row(question, answer)
                    if asked.state == "claimed":
                        asked.state = "answered"
                    asked.updated_at = utcnow()
                    if posted is not None:
                        _mark_delivered(asked, posted, "delivered")
                return True
            except IntegrityError:
                continue
        return False

    def thread(self, platform: str, channel: str, thread: str) -> AskedThread | None:
        """The questions asked in a thread so far; None where the bot was never asked there."""
        with self.sessions() as session:
            rows = session.execute(
                select(AskedQuestion.user, AskedQuestion.updated_at)
                .where(
                    AskedQuestion.platform == platform,
                    AskedQuestion.channel == channel,
                    AskedQuestion.thread == thread,
                )
                .order_by(AskedQuestion.asked_at, AskedQuestion.id)
            ).all()
        if not rows:
            return None
        return AskedThread(
            asker=rows[0].user,
            questions=len(rows),
            last_activity=max(utc(row.updated_at) for row in rows),
        )

    def earlier_in_thread(self, key: str) -> list[Earlier]:
        """The questions asked before this one in its thread, oldest first (none outside one)."""
        with self.sessions() as session:
            asked = session.scalar(select(AskedQuestion).where(AskedQuestion.key == key))
            if asked is None or not asked.thread:
                return []
            rows = session.execute(
                select(AskedQuestion.key, AskedQuestion.state, StoredAnswer.text,
                       StoredAnswer.declined)
                .outerjoin(StoredAnswer)
                .where(
                    AskedQuestion.platform == asked.platform,
                    AskedQuestion.channel == asked.channel,
                    AskedQuestion.thread == asked.thread,
                    or_(AskedQuestion.asked_at < asked.asked_at,
                        and_(AskedQuestion.asked_at == asked.asked_at,
                             AskedQuestion.id < asked.id)),
                )
                .order_by(AskedQuestion.asked_at, AskedQuestion.id)
            ).all()  # fmt: skip
        return [
            Earlier(row.key, row.state in WAITING, None if row.declined else row.text)
            for row in rows
        ]

    def question(self, key: str) -> Question | None:
        """A question as it was asked, from its key."""
        with self.sessions() as session:
            asked = session.scalar(select(AskedQuestion).where(AskedQuestion.key == key))
            return None if asked is None else question_of(asked)

    def stored_answer(self, key: str) -> Answer | None:
        """The answer already written for this question, rebuilt as the model wrote it, or as
        its reviewer edited it before it was posted (a draft channel)."""
        with self.sessions() as session:
            row = session.scalar(
                select(StoredAnswer).join(AskedQuestion).where(AskedQuestion.key == key)
            )
            if row is None:
                return None
            edited = session.scalar(
                select(Correction.text).where(Correction.event_id == review_event(key))
            )
            answer = answer_of(row)
            return answer if edited is None else answer.model_copy(update={"text": edited})

    def fail(self, key: str, reason: str) -> bool:
        """No answer will come (retries used up, expired, a bug): the sweeper tells the asker.
        False when the question is past that point (answered, delivered) or unknown."""
        return self._move(key, ("claimed",), "failed", failure=reason[:2000])

    def take_delivery(self, key: str, delivery_id: str, *, apology: bool) -> bool:
        """Let one delivery post in the question's thread: the first to take the question, or a
        retry of that same delivery. An answer may be delivered once it is written (even after
        a failure was noted: a late answer beats an apology); an apology only when none is.

        A broker may hand out two copies of one delivery (a retry published, then the original
        redelivered after a lost ack): while one copy is posting, the other is refused, until
        the post ends (`pause_delivery`, `delivered`) or `POSTING_LEASE` passes (a killed one)."""
        whence: tuple[str, ...] = ("claimed", "failed") if apology else ("answered", "failed")
        now = utcnow()
        with self.sessions.begin() as session:
            taken = session.execute(
                update(AskedQuestion)
                .where(
                    AskedQuestion.key == key,
                    or_(
                        AskedQuestion.state.in_(whence),
                        and_(
                            AskedQuestion.state == "delivering",
                            AskedQuestion.delivery_id == delivery_id,
                            or_(
                                AskedQuestion.posting_since.is_(None),
                                AskedQuestion.posting_since < now - POSTING_LEASE,
                            ),
                        ),
                    ),
                    *([] if apology else [AskedQuestion.answer.has()]),
                )
                .values(
                    state="delivering", delivery_id=delivery_id, updated_at=now, posting_since=now
                )
            ).rowcount  # type: ignore[attr-defined]
        return bool(taken)

    def hold_delivery(self, key: str, delivery_id: str) -> bool:
        """The delivery is still posting (its platform client may be retrying for minutes):
        renew its lease, and keep the sweeper from taking the question back as stalled."""
        now = utcnow()
        with self.sessions.begin() as session:
            held = session.execute(
                update(AskedQuestion)
                .where(AskedQuestion.key == key, AskedQuestion.delivery_id == delivery_id,
                       AskedQuestion.state == "delivering")
                .values(posting_since=now, updated_at=now)
            ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        return bool(held)

    def pause_delivery(self, key: str, delivery_id: str) -> None:
        """The delivery's post failed and it will try again later: its next try may take it."""
        with self.sessions.begin() as session:
            session.execute(
                update(AskedQuestion)
                .where(AskedQuestion.key == key, AskedQuestion.delivery_id == delivery_id)
                .values(posting_since=None)
            )

    def delivered(self, key: str, posted: Posted, *, apology: bool = False) -> None:
        """The reply is in the thread: `delivered` (votes on it count) or `told`."""
        with self.sessions.begin() as session:
            asked = session.scalar(
                select(AskedQuestion)
                .where(AskedQuestion.key == key)
                .options(selectinload(AskedQuestion.answer))
            )
            if asked is not None:
                _mark_delivered(asked, posted, "told" if apology else "delivered")

    def in_review(self, key: str, posted: Posted) -> None:
        """The answer's draft is in its review channel (`posted`): a teammate has it now, so
        the sweeper leaves it alone until it is approved (`approve`)."""
        with self.sessions.begin() as session:
            session.execute(
                update(AskedQuestion)
                .where(AskedQuestion.key == key, AskedQuestion.state == "delivering")
                .values(state="in_review", review_ref=posted.message_ref, posting_since=None,
                        delivery_id="", updated_at=utcnow())
            )  # fmt: skip

    def reviewed_by(self, key: str) -> str:
        """Who approved the question's draft ("" when nobody has): its delivery then goes to
        the asker, not to review."""
        with self.sessions() as session:
            found = session.scalar(
                select(AskedQuestion.reviewed_by).where(AskedQuestion.key == key)
            )
        return found or ""

    def under_review(self, review_ref: str) -> str | None:
        """The key of the question whose draft is the message `review_ref`, if one is."""
        with self.sessions() as session:
            return session.scalar(
                select(AskedQuestion.key).where(AskedQuestion.review_ref == review_ref)
            )

    def approve(self, key: str, by: str, text: str | None = None) -> Approval:
        """`by` approves the draft in review, as written or edited into `text` (kept as their
        correction of the model's answer: tuning data). The first approval counts, so a button
        pressed twice posts once; the question is `answered` again, for delivery to the asker
        (the sweeper resends it if that delivery is lost)."""
        now = utcnow()
        with self.sessions.begin() as session:
            moved = session.execute(
                update(AskedQuestion)
                .where(AskedQuestion.key == key, AskedQuestion.state == "in_review")
                .values(state="answered", reviewed_by=by, reviewed_at=now, updated_at=now)
            ).rowcount  # type: ignore[attr-defined]
            asked = session.scalar(
                select(AskedQuestion)
                .where(AskedQuestion.key == key)
                .options(selectinload(AskedQuestion.answer))
            )
            if asked is None:
                return Approval(False, "", "")
            answer = asked.answer
            if moved == 1 and answer is not None and text and text.strip() != answer.text.strip():
                session.add(Correction(answer_id=answer.id, event_id=review_event(key),
                                       author=by, text=text.strip()))  # fmt: skip
            return Approval(moved == 1, asked.reviewed_by, asked.review_ref)

    def unchanged(self, key: str) -> None:
        """A question asked again after its docs changed got an answer that says nothing new:
        it is not posted (`refresh.differs`)."""
        self._move(key, ("answered",), "unchanged")

    def cited_since(self, urls: set[str], since: datetime) -> list[Cited]:
        """The latest answers posted since `since` that cited any of `urls` (fragments aside),
        each once, its words still kept: what a sync that changed those pages makes stale."""
        with self.sessions() as session:
            rows = session.scalars(
                select(StoredAnswer)
                .join(AskedQuestion)
                .where(StoredAnswer.delivered_at >= since, AskedQuestion.redacted_at.is_(None))
                .options(selectinload(StoredAnswer.question))
            ).all()
            superseded = set(session.scalars(
                select(AskedQuestion.supersedes).where(AskedQuestion.supersedes != "")
            ))  # fmt: skip
        found = []
        for row in rows:
            asked = row.question
            if asked.key in superseded or not asked.reply_task:
                continue  # asked again already (that answer is the one to look at), or no thread
            cited = {str(c.get("url", "")).split("#")[0] for c in row.citations}
            if cited & urls:
                reply = Reply(asked.reply_task, asked.reply_to)
                found.append(Cited(question_of(asked), reply, asked.refresh))
        return found

    def undeliverable(self, key: str, reason: str) -> None:
        """The platform refused the reply for good (no access, channel gone): stop trying."""
        self._move(key, ("delivering",), "undeliverable", failure=reason[:2000])

    def waiting(self, *, limit: int = 100) -> list[Waiting]:
        """Questions whose asker has not heard back, oldest first: the sweeper's work list."""
        with self.sessions() as session:
            rows = session.execute(
                select(AskedQuestion, StoredAnswer.id)
                .outerjoin(StoredAnswer)
                .where(AskedQuestion.state.in_(WAITING))
                .order_by(AskedQuestion.asked_at)
                .limit(limit)
            ).all()
        return [_waiting(asked, answer_id is not None) for asked, answer_id in rows]

    def reclaim(self, key: str, idle_since: datetime) -> bool:
        """Take a question back from a delivery that stopped trying (its message was lost with a
        broker outage or a killed worker: a live delivery touches the row at every try), so
        the sweeper can hand it on; False if that delivery moved meanwhile."""
        with self.sessions.begin() as session:
            answered = session.scalar(
                select(StoredAnswer.id).join(AskedQuestion).where(AskedQuestion.key == key)
            )
            moved = session.execute(
                update(AskedQuestion)
                .where(
                    AskedQuestion.key == key,
                    AskedQuestion.state == "delivering",
                    AskedQuestion.updated_at < idle_since,
                )
                .values(
                    state="answered" if answered else "failed",
                    delivery_id="",
                    updated_at=utcnow(),
                    posting_since=None,
                )
            ).rowcount  # type: ignore[attr-defined]
        return bool(moved)

    def swept(self, key: str) -> None:
        """Note that the sweeper acted on a question now, so it waits before acting again."""
        with self.sessions.begin() as session:
            session.execute(
                update(AskedQuestion).where(AskedQuestion.key == key).values(swept_at=utcnow())
            )

    def told_ahead(self, key: str, ahead: int, placeholder: str, *, was: str) -> bool:
        """Note that the thread was told `ahead` questions are ahead of this one (`DRAFTING`:
        it is shown the answer as it is written), in the message `placeholder`, if the question
        still waits for its answer and its message is still `was` ("" for none); a place in
        line never replaces a draft. False otherwise, and the caller removes a message it just
        posted: the answer's delivery may have looked for it already, or another's got there
        first."""
        drafting = [] if ahead == DRAFTING else [
            or_(AskedQuestion.ahead.is_(None), AskedQuestion.ahead != DRAFTING)
        ]  # fmt: skip
        with self.sessions.begin() as session:
            moved = session.execute(
                update(AskedQuestion)
                .where(
                    AskedQuestion.key == key,
                    AskedQuestion.state == "claimed",
                    AskedQuestion.placeholder == was,
                    *drafting,
                )
                .values(ahead=ahead, placeholder=placeholder)
            ).rowcount  # type: ignore[attr-defined]
        return bool(moved)

    def reply(self, key: str) -> Reply | None:
        """Where a question's reply goes (its platform's delivery task and arguments), if it was
        asked where a reply can go."""
        with self.sessions() as session:
            row = session.execute(
                select(AskedQuestion.reply_task, AskedQuestion.reply_to).where(
                    AskedQuestion.key == key
                )
            ).first()
        return Reply(row[0], row[1]) if row and row[0] else None

    def placeholder(self, key: str) -> str:
        """The "questions ahead of yours" message in the question's thread, if one was posted:
        the delivery removes it once the answer is there."""
        with self.sessions() as session:
            found = session.scalar(
                select(AskedQuestion.placeholder).where(AskedQuestion.key == key)
            )
        return found or ""

    def counts(self) -> dict[str, int]:
        """Questions per state."""
        with self.sessions() as session:
            rows = session.execute(
                select(AskedQuestion.state, func.count()).group_by(AskedQuestion.state)
            ).all()
        return {state: count for state, count in rows}

    def _move(self, key: str, whence: tuple[str, ...], to: str, **values: Any) -> bool:
        with self.sessions.begin() as session:
            moved = session.execute(
                update(AskedQuestion)
                .where(AskedQuestion.key == key, AskedQuestion.state.in_(whence))
                .values(state=to, updated_at=utcnow(), **values)
            ).rowcount  # type: ignore[attr-defined]
        return bool(moved)

    # -- feedback --------------------------------------------------------------------------
    def record_feedback(self, event: Feedback) -> bool | None:
        """Apply a reaction, reason or correction. True: stored; False: a repeat, or older than
        what is stored; None: not on one of our answers (or not yet: its delivery may be on the
        way)."""
        if event.kind in ("vote", "unvote"):
            return self.vote(
                event.platform, event.message_ref, event.user, event.value, event.at,
                removed=event.kind == "unvote",
            )  # fmt: skip
        if event.kind in ("escalate", "resolve"):
            return self.mark(event.kind, event.platform, event.user, event.at,
                             message_ref=event.message_ref, place=event.place)  # fmt: skip
        if event.kind == "reason":
            return (
                self.give_reason(event.platform, event.message_ref, event.user, event.text) or None
            )
        return self.correct(
            event.platform, place=event.place, message_ref=event.message_ref, author=event.user,
            text=event.text, event_id=event.event_id,
        )  # fmt: skip

    def vote(
        self, platform: str, message_ref: str, user: str, value: int, at: datetime,
        *, removed: bool = False,
    ) -> bool | None:  # fmt: skip
        """Apply one reaction (value +1/-1; `removed` takes it back). None: not one of our
        answers; False: older than the vote on record (or takes back a replaced vote); True:
        applied. Each change is one conditional UPDATE, so racing events can't lose one."""
        at = utc(at)
        new_value = 0 if removed else value
        for _attempt in range(3):
            with self.sessions.begin() as session:
                answer_id = session.scalar(
                    select(StoredAnswer.id).where(
                        StoredAnswer.platform == platform, StoredAnswer.message_ref == message_ref
                    )
                )
                if answer_id is None:
                    return None
                condition = [Vote.answer_id == answer_id, Vote.user == user, Vote.at <= at]
                if removed:
                    condition.append(Vote.value == value)
                changed = session.execute(
                    update(Vote).where(*condition).values(value=new_value, at=at)
                ).rowcount  # type: ignore[attr-defined]
                if changed:
                    return True
                exists = session.scalar(
                    select(Vote.id).where(Vote.answer_id == answer_id, Vote.user == user)
                )
                if exists is not None:
                    return False
            try:  # the first vote of this person on this answer
                with self.sessions.begin() as session:
                    session.add(Vote(answer_id=answer_id, user=user, value=new_value, at=at))
                return True
            except IntegrityError:
                continue  # another event inserted it first: compare with that one
        return False

    def give_reason(self, platform: str, message_ref: str, user: str, reason: str) -> bool:
        """Attach why someone voted an answer down; False if there is no such vote."""
        with self.sessions.begin() as session:
            answer = self._answer_at(session, platform, message_ref)
            if answer is None:
                return False
            vote = session.scalar(
                select(Vote).where(Vote.answer_id == answer.id, Vote.user == user)
            )
            if vote is None:
                return False
            vote.reason = reason[:1000]
            return True

    def correct(
        self, platform: str, *, place: str = "", message_ref: str = "", author: str, text: str,
        event_id: str,
    ) -> bool | None:  # fmt: skip
        """Store a better answer for the answer at `message_ref`, or the latest answer posted in
        `place` (a thread). None: no such answer; False: this event was recorded before."""
        try:
            with self.sessions.begin() as session:
                answer = self._answer_in(session, platform, message_ref, place)
                if answer is None:
                    return None
                session.add(Correction(answer_id=answer.id, event_id=f"{platform}:{event_id}",
                                       author=author, text=text))  # fmt: skip
        except IntegrityError:
            return False
        return True

    def mark(
        self, kind: Literal["escalate", "resolve"], platform: str, user: str, at: datetime,
        *, message_ref: str = "", place: str = "",
    ) -> bool | None:  # fmt: skip
        """Note that `user` asked for a person (`escalate`) or closed the question (`resolve`),
        for the answer at `message_ref` or the latest in `place`. The first of each counts; a
        resolve by someone other than the asker counts only once a person was asked for. None:
        no such answer; False: already marked, or not theirs to close."""
        with self.sessions.begin() as session:
            answer = self._answer_in(session, platform, message_ref, place)
            if answer is None:
                return None
            this = AskedQuestion.id == answer.question_id
            if kind == "escalate":
                done = _escalating(this, user, at)
            else:  # the asker closes their own question; once a person was asked for, anyone
                theirs = or_(AskedQuestion.user == user, AskedQuestion.escalated_at.is_not(None))
                done = update(AskedQuestion).where(
                    this, AskedQuestion.resolved_at.is_(None), theirs
                )
                done = done.values(resolved_at=at, resolved_by=user)
            return bool(session.execute(done).rowcount == 1)  # type: ignore[attr-defined]

    def escalate(self, key: str, by: str) -> bool:
        """Note that a question was handed to a person (by the bot itself, below its channel's
        bar); False if it was already."""
        with self.sessions.begin() as session:
            done = _escalating(AskedQuestion.key == key, by, utcnow())
            return bool(session.execute(done).rowcount == 1)  # type: ignore[attr-defined]

    def handoff_sent(self, key: str) -> None:
        """The handoff webhook took the question's escalation."""
        with self.sessions.begin() as session:
            session.execute(
                update(AskedQuestion)
                .where(AskedQuestion.key == key)
                .values(handoff_sent_at=utcnow())
            )

    # -- reads -----------------------------------------------------------------------------
    def escalation(self, key: str) -> Escalation | None:
        """The escalated question with its answer; None if it was never escalated."""
        with self.sessions() as session:
            asked = session.scalar(
                select(AskedQuestion)
                .where(AskedQuestion.key == key, AskedQuestion.escalated_at.is_not(None))
                .options(selectinload(AskedQuestion.answer))
            )
            if asked is None or asked.escalated_at is None:
                return None
            answer = answer_of(asked.answer) if asked.answer is not None else None
            return Escalation(question_of(asked), answer, asked.escalated_by,
                              utc(asked.escalated_at))  # fmt: skip

    def handoff(self, platform: str, message_ref: str = "", place: str = "") -> Handoff | None:
        """Where the question behind a posted answer (at `message_ref`, or the latest in the
        thread `place`) stands with the people (None: not ours)."""
        with self.sessions() as session:
            answer = self._answer_in(session, platform, message_ref, place)
            if answer is None:
                return None
            asked = answer.question
            escalated, resolved = asked.escalated_at is not None, asked.resolved_at is not None
            return Handoff(asked.key, asked.user, asked.handoff_contact, escalated, resolved)

    def session(self) -> Session:
        return self.sessions()

    def answer_for(self, key: str) -> StoredAnswer | None:
        """The stored answer to a question (by its platform key), with votes and corrections."""
        with self.sessions() as session:
            return session.scalar(
                select(StoredAnswer)
                .join(AskedQuestion)
                .where(AskedQuestion.key == key)
                .options(selectinload(StoredAnswer.votes), selectinload(StoredAnswer.corrections))
            )

    @classmethod
    def _answer_in(
        cls, session: Session, platform: str, message_ref: str, place: str
    ) -> StoredAnswer | None:
        """The answer posted as `message_ref`, or else the latest posted in the thread `place`."""
        if message_ref:
            return cls._answer_at(session, platform, message_ref)
        return session.scalar(
            select(StoredAnswer)
            .where(StoredAnswer.platform == platform, StoredAnswer.place == place)
            .order_by(StoredAnswer.answered_at.desc(), StoredAnswer.id.desc())
            .limit(1)
        )

    @staticmethod
    def _answer_at(session: Session, platform: str, message_ref: str) -> StoredAnswer | None:
        return session.scalar(
            select(StoredAnswer).where(
                StoredAnswer.platform == platform, StoredAnswer.message_ref == message_ref
            )
        )


def _escalating(which: ColumnElement[bool], by: str, at: datetime) -> Update:
    """The question's escalation, as one conditional update: of two racing presses (or a press
    and the bot's own handoff), one counts."""
    first = update(AskedQuestion).where(which, AskedQuestion.escalated_at.is_(None))
    return first.values(escalated_at=at, escalated_by=by)


def _mark_delivered(asked: AskedQuestion, posted: Posted, state: str) -> None:
    asked.state = state
    asked.updated_at = utcnow()
    asked.posting_since = None
    if state == "delivered" and asked.answer is not None:
        asked.answer.message_ref = posted.message_ref
        asked.answer.place = posted.place
        asked.answer.delivered_at = utcnow()


def _waiting(asked: AskedQuestion, answered: bool) -> Waiting:
    return Waiting(
        question=question_of(asked), state=asked.state, answered=answered,
        reply=Reply(asked.reply_task, asked.reply_to) if asked.reply_task else None,
        asked_at=utc(asked.asked_at), updated_at=utc(asked.updated_at),
        swept_at=utc(asked.swept_at) if asked.swept_at else None, failure=asked.failure,
        ahead=asked.ahead, placeholder=asked.placeholder or "",
    )  # fmt: skip


def _pragma(connection: Connection, pragma: str) -> None:
    """A pragma outside any transaction (SQLite ignores some, foreign_keys among them, inside)."""
    connection.exec_driver_sql(f"PRAGMA {pragma}")
    connection.commit()


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Several processes write the SQLite file: wait for the lock rather than fail at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
