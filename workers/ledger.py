"""The exactly-once ledger: which questions were taken, answered and delivered.

Slack retries events and a broker redelivers a task whose worker died; the ledger turns both into
no-ops. `claim` is one INSERT that only one caller can win (the primary key decides), so it is safe
across processes on SQLite and PostgreSQL alike. All of the ledger's SQL is here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

metadata = MetaData()
questions = Table(
    "question_ledger",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("state", String(16), nullable=False),  # claimed, answered, delivered
    Column("answer", Text),
    Column("reply_ref", String(255)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class Ledger:
    """A small table keyed by the platform's event id."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        try:
            metadata.create_all(self.engine)
        except DBAPIError:  # processes starting together: another one created it first
            if not inspect(self.engine).has_table(questions.name):
                raise

    def claim(self, key: str) -> bool:
        """True for the first caller only."""
        try:
            with self.engine.begin() as db:
                db.execute(questions.insert().values(key=key, state="claimed", updated_at=_now()))
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        """Give back a claim that led nowhere (the queue refused the question), so that the
        platform's retry or the asker's next try is taken. Answered questions stay."""
        with self.engine.begin() as db:
            db.execute(
                questions.delete().where(questions.c.key == key, questions.c.state == "claimed")
            )

    def state(self, key: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(select(questions.c.state).where(questions.c.key == key)).scalar()

    def answer(self, key: str) -> dict[str, Any] | None:
        """The answer already computed for this question, if any."""
        with self.engine.connect() as db:
            raw = db.execute(select(questions.c.answer).where(questions.c.key == key)).scalar()
        return json.loads(raw) if raw else None

    def record_answer(self, key: str, answer: dict[str, Any]) -> None:
        self._update(key, state="answered", answer=json.dumps(answer))

    def record_delivery(self, key: str, reply_ref: str) -> None:
        self._update(key, state="delivered", reply_ref=reply_ref)

    def _update(self, key: str, **values: Any) -> None:
        with self.engine.begin() as db:
            updated = db.execute(
                questions.update().where(questions.c.key == key).values(updated_at=_now(), **values)
            )
            if updated.rowcount == 0:
                db.execute(questions.insert().values(key=key, updated_at=_now(), **values))


def _now() -> datetime:
    return datetime.now(UTC)
