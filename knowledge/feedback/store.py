"""The feedback store: SQLite by default, PostgreSQL by URL; migrated to the latest schema on open.

Every write is idempotent, because the queue delivers at least once: an answer is recorded once
per question key, a vote is the latest reaction per person and answer (by the platform's time, so
order of arrival doesn't matter), a correction once per platform event.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from knowledge.feedback.tables import AskedQuestion, Correction, StoredAnswer, Vote
from knowledge.models import Answer, Question

MIGRATIONS = Path(__file__).parent / "migrations"
_migrating = threading.Lock()
_LOCK_KEY = 0x5B0F_EED  # the advisory lock that serialises migrations on PostgreSQL


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


@dataclass(frozen=True)
class Posted:
    """Where an answer was posted: its message (votes point at it) and its thread (corrections)."""

    message_ref: str
    place: str


class FeedbackStore:
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
        with _migrating, beside, self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # and one process at a time per database
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    # -- writes ----------------------------------------------------------------------------
    def record_answer(self, question: Question, answer: Answer, posted: Posted) -> bool:
        """Store a posted answer; False if this question's answer is stored already."""
        asked = AskedQuestion(
            key=question.key, platform=question.platform, workspace=question.workspace,
            channel=question.channel, thread=question.thread, user=question.user,
            text=question.text, history=[t.model_dump() for t in question.history],
        )  # fmt: skip
        asked.answer = StoredAnswer(
            platform=question.platform, message_ref=posted.message_ref, place=posted.place,
            text=answer.text, standalone_question=answer.standalone_question,
            citations=[c.model_dump() for c in answer.citations],
            retrieved=[s.model_dump() for s in answer.retrieved],
            confidence=answer.confidence, declined=answer.declined,
            model_backend=answer.model.backend, model_repo=answer.model.repo,
            model_revision=answer.model.revision, adapter_repo=answer.model.adapter_repo,
            adapter_revision=answer.model.adapter_revision, timings=answer.timings.model_dump(),
        )  # fmt: skip
        try:
            with self.sessions.begin() as session:
                session.add(asked)
        except IntegrityError:
            return False
        return True

    def vote(
        self, platform: str, message_ref: str, user: str, value: int, at: datetime,
        *, removed: bool = False,
    ) -> bool | None:  # fmt: skip
        """Apply one reaction (value +1/-1; `removed` takes it back). None: not one of our
        answers; False: older than the vote on record (or takes back a replaced vote); True:
        applied. Each change is one conditional UPDATE, so racing events can't lose one."""
        at = _utc(at)
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
                if message_ref:
                    answer = self._answer_at(session, platform, message_ref)
                else:
                    answer = session.scalar(
                        select(StoredAnswer)
                        .where(StoredAnswer.platform == platform, StoredAnswer.place == place)
                        .order_by(StoredAnswer.answered_at.desc(), StoredAnswer.id.desc())
                        .limit(1)
                    )
                if answer is None:
                    return None
                session.add(Correction(answer_id=answer.id, event_id=f"{platform}:{event_id}",
                                       author=author, text=text))  # fmt: skip
        except IntegrityError:
            return False
        return True

    # -- reads -----------------------------------------------------------------------------
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

    @staticmethod
    def _answer_at(session: Session, platform: str, message_ref: str) -> StoredAnswer | None:
        return session.scalar(
            select(StoredAnswer).where(
                StoredAnswer.platform == platform, StoredAnswer.message_ref == message_ref
            )
        )


def _utc(moment: datetime) -> datetime:
    """Everything is stored in UTC; SQLite returns naive datetimes, which are UTC as written."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Several processes write the SQLite file: wait for the lock rather than fail at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
