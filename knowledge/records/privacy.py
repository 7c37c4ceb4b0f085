"""What the records keep about people: every word of a conversation goes after a while
(SUPPORTBOT_RETENTION_DAYS), or at once for one person who asks (`supportbot forget`).

"Words" are what people wrote and what was written to them: the question, its thread, the
standalone rewording, the answer, corrections and the reasons given with votes. What stays is
what a support lead counts by: the question's channel, dates, state and outcome, the votes'
values, and the pages an answer cited. A removed question keeps its row, marked `redacted_at`,
so the rates stay true. Other questions in the same thread lose their context too: a follow-up
carries the earlier messages of its thread.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, tuple_, update
from sqlalchemy.orm import Session

from knowledge.records.store import Records
from knowledge.records.tables import AskedQuestion, Correction, Export, StoredAnswer, Vote, utcnow


@dataclass
class Removed:
    """What a removal took, counted for the person who ran it."""

    questions: int = 0  # questions whose words went
    threads: int = 0  # other questions of their threads, whose context went
    answers: int = 0
    corrections: int = 0
    votes: int = 0  # votes removed (a forgotten person's), or their reasons (retention)
    names: int = 0  # a forgotten person named as who escalated, resolved or approved

    def summary(self) -> str:
        said = [f"{getattr(self, f.name)} {f.name}" for f in fields(self)]
        return ", ".join(said)


def expire(store: Records, before: datetime) -> Removed:
    """Remove the words of every question asked before `before` (retention)."""
    with store.sessions.begin() as session:
        removed = _redact(session, AskedQuestion.asked_at < before)
        removed.votes = _count(session.execute(
            update(Vote).where(Vote.at < before, Vote.reason.is_not(None)).values(reason=None)
        ))  # fmt: skip
    return removed


def forget(store: Records, user: str, before: datetime | None = None) -> Removed:
    """Erase one person (`user`, their platform id): the words of their questions and threads,
    their votes and corrections, and their name wherever a question says who acted on it;
    with `before`, only what they did before then."""
    by_them = AskedQuestion.user == user
    if before is not None:
        by_them = by_them & (AskedQuestion.asked_at < before)
    with store.sessions.begin() as session:
        removed = _redact(session, by_them)
        session.execute(update(AskedQuestion).where(by_them).values(user=""))
        votes = delete(Vote).where(Vote.user == user)
        corrections = delete(Correction).where(Correction.author == user)
        if before is not None:
            votes = votes.where(Vote.at < before)
            corrections = corrections.where(Correction.at < before)
        removed.votes = _count(session.execute(votes))
        removed.corrections += _count(session.execute(corrections))
        for column in ("escalated_by", "resolved_by", "reviewed_by"):
            named = getattr(AskedQuestion, column) == user
            removed.names += _count(
                session.execute(update(AskedQuestion).where(named).values({column: ""}))
            )
    return removed


def exported(store: Records, path: str, format: str, held_out: float, pushed_to: str) -> None:
    """Note a tuning export just written (and pushed), so forgetting someone rewrites it."""
    with store.sessions.begin() as session:
        session.add(Export(path=path, format=format, held_out=held_out, pushed_to=pushed_to))


def exports(store: Records) -> list[Export]:
    """Every tuning export written, newest first; one per path and format."""
    with store.sessions() as session:
        rows = session.scalars(select(Export).order_by(Export.written_at.desc(), Export.id.desc()))
        latest: dict[tuple[str, str], Export] = {}
        for row in rows:
            latest.setdefault((row.path, row.format), row)
    return list(latest.values())


def _redact(session: Session, which: ColumnElement[bool]) -> Removed:
    """Remove the words of the questions `which` selects (not yet removed), their answers and
    corrections, the reasons given with votes on them, and the context of their threads."""
    now = utcnow()
    rows = session.execute(
        select(AskedQuestion.id, AskedQuestion.platform, AskedQuestion.channel,
               AskedQuestion.thread)
        .where(which, AskedQuestion.redacted_at.is_(None))
    ).all()  # fmt: skip
    removed = Removed(questions=len(rows))
    if not rows:
        return removed
    ids = [row.id for row in rows]
    session.execute(
        update(AskedQuestion).where(AskedQuestion.id.in_(ids))
        .values(text="", history=[], redacted_at=now)
    )  # fmt: skip
    answers = select(StoredAnswer.id).where(StoredAnswer.question_id.in_(ids))
    removed.answers = _count(session.execute(
        update(StoredAnswer).where(StoredAnswer.id.in_(answers))
        .values(text="", standalone_question="", note="", grounding=None)
    ))  # fmt: skip
    removed.corrections = _count(
        session.execute(delete(Correction).where(Correction.answer_id.in_(answers)))
    )
    session.execute(update(Vote).where(Vote.answer_id.in_(answers)).values(reason=None))
    threads = {(r.platform, r.channel, r.thread) for r in rows if r.thread}
    if threads:
        place = tuple_(AskedQuestion.platform, AskedQuestion.channel, AskedQuestion.thread)
        removed.threads = _count(session.execute(
            update(AskedQuestion)
            .where(place.in_(threads), AskedQuestion.id.not_in(ids))
            .values(history=[])
        ))  # fmt: skip
    return removed


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
