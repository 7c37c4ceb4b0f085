"""The records' tables (SQLAlchemy ORM). Changes go through an Alembic migration.

A question's life is its `questions` row: claimed when an adapter takes it, answered, then
delivered (or failed, then told). Its answer, votes and corrections hang off it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


#: Where a question stands. `claimed` -> `answered` -> `delivering` -> `delivered` is the happy
#: path; `failed` (no answer will come) -> `delivering` -> `told` (the asker was told so);
#: `undeliverable` when the platform refused the reply for good; `unchanged` when a question
#: asked again after its docs changed got an answer that says nothing new (not posted). In a
#: draft channel the answer is first posted for review (`in_review`: a teammate has it, so the
#: sweeper leaves it alone), then, once approved, `answered` again and delivered to the asker.
State = Literal["claimed", "answered", "failed", "delivering", "delivered", "told",
                "undeliverable", "in_review", "unchanged"]  # fmt: skip
#: States in which the asker has not heard back yet.
WAITING: tuple[State, ...] = ("claimed", "answered", "failed", "delivering")


class AskedQuestion(Base):
    """A question as asked on a platform; `key` is the adapters' idempotency key."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_thread", "channel", "thread"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(64), default="", index=True)
    thread: Mapped[str] = mapped_column(String(64), default="")
    user: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    event_id: Mapped[str] = mapped_column(String(255), default="")
    collections: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    handoff_contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    redacted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True,
        doc="when its words (and its thread's) were removed: retention, or its asker forgotten",
    )  # fmt: skip
    state: Mapped[str] = mapped_column(String(16), default="claimed", index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reply_task: Mapped[str] = mapped_column(
        String(64), default="", doc="the delivery task that posts in the question's thread"
    )
    reply_to: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc="that task's keyword arguments: where the reply goes"
    )
    delivery_id: Mapped[str] = mapped_column(
        String(64), default="", doc="the delivery that holds the question (one posts, not two)"
    )
    posting_since: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        nullable=True,
        doc="when that delivery began a post: another copy of it (a redelivered message) waits",
    )
    failure: Mapped[str] = mapped_column(Text, default="", doc="why no answer came, if none did")
    escalated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="when someone asked for a person"
    )
    escalated_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    handoff_sent_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="when the handoff webhook took it"
    )
    resolved_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="when the asker (or the person) closed it"
    )
    resolved_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    answer_bar: Mapped[float | None] = mapped_column(
        Float, nullable=True, doc="below this answerability, a teammate is asked (auto channels)"
    )
    refresh: Mapped[bool] = mapped_column(
        default=False, server_default=false(), doc="asked again when its cited pages change"
    )
    supersedes: Mapped[str] = mapped_column(
        String(255), default="", server_default="", index=True,
        doc="the key of the question this one asked again (its docs changed)",
    )  # fmt: skip
    review_ref: Mapped[str] = mapped_column(
        String(255), default="", server_default="", index=True,
        doc="its draft's message in a review channel",
    )  # fmt: skip
    reviewed_by: Mapped[str] = mapped_column(
        String(64), default="", server_default="", doc="the teammate who approved that draft"
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    swept_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ahead: Mapped[int | None] = mapped_column(
        Integer, nullable=True, doc="questions ahead of it, as last told in its thread"
    )
    placeholder: Mapped[str] = mapped_column(
        String(128), default="", doc="the platform's id of that message (deleted once answered)"
    )

    answer: Mapped[StoredAnswer | None] = relationship(back_populates="question")


class StoredAnswer(Base):
    """What the bot said, with what it was grounded on, which model said it, and where it posted."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("platform", "message_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    message_ref: Mapped[str | None] = mapped_column(
        String(255), nullable=True, doc="channel/message id of the post, once delivered"
    )
    place: Mapped[str | None] = mapped_column(
        String(255), nullable=True, index=True, doc="the thread it was posted in"
    )
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", doc="told before the answer")
    standalone_question: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    retrieved: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confidence: Mapped[str] = mapped_column(String(8))
    declined: Mapped[bool] = mapped_column(default=False)
    handed_off: Mapped[bool] = mapped_column(default=False, server_default=false())
    model_backend: Mapped[str] = mapped_column(String(32), default="")
    model_repo: Mapped[str] = mapped_column(String(255), default="")
    model_revision: Mapped[str] = mapped_column(String(64), default="")
    adapter_repo: Mapped[str] = mapped_column(String(255), default="")
    adapter_revision: Mapped[str] = mapped_column(String(64), default="")
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    grounding: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, doc="what the grounding check left out of the model's answer"
    )
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    question: Mapped[AskedQuestion] = relationship(back_populates="answer")
    votes: Mapped[list[Vote]] = relationship(back_populates="answer")
    corrections: Mapped[list[Correction]] = relationship(back_populates="answer")


class Vote(Base):
    """One person's current vote on one answer: +1, -1, or 0 once taken back.

    `at` is the platform's time of the reaction: reactions handled out of order still end with
    the latest one (an older event never overwrites a newer one).
    """

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("answer_id", "user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"), index=True)
    user: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    answer: Mapped[StoredAnswer] = relationship(back_populates="votes")


class Correction(Base):
    """A teammate's better answer; `event_id` makes recording it idempotent."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    answer: Mapped[StoredAnswer] = relationship(back_populates="corrections")


#: A sync's life: `queued` (handed to the worker that owns the index), `running`, then `done`
#: (its report says what changed, and which pages kept their previous version) or `failed`.
SyncState = Literal["queued", "running", "done", "failed"]


class SyncRun(Base):
    """One sync of one source (or one `supportbot ingest`), followed by whoever started it."""

    __tablename__ = "syncs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(16), default="", doc="fetching or ingesting")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, doc="the task and its arguments, to send it again if its worker dies"
    )


class Export(Base):
    """A tuning export written to a file (and maybe pushed to the Hub): forgetting someone
    writes it again without them."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8))
    held_out: Mapped[float] = mapped_column(Float)
    pushed_to: Mapped[str] = mapped_column(String(255), default="", server_default="")
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
