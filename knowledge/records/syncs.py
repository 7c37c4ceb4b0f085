"""Syncs in the records: asked for by `supportbot ingest` / `sync` or by beat, run and reported by
the worker that owns the index, read back by the command that waits and by `supportbot sources`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from knowledge.models import SyncReport
from knowledge.records.rows import utc
from knowledge.records.store import Records
from knowledge.records.tables import SyncRun, utcnow


@dataclass(frozen=True)
class SyncStatus:
    """Where one sync stands, as its waiter reads it."""

    id: str
    source: str
    state: str
    stage: str
    done: int
    total: int
    requested_at: datetime
    updated_at: datetime
    report: SyncReport | None
    error: str


class SyncLog:
    def __init__(self, records: Records) -> None:
        self.sessions = records.sessions

    def queued(self, run_id: str, source: str) -> None:
        """Note a sync before it is handed over, so its waiter can follow it (idempotent)."""
        with self.sessions() as session:
            session.add(SyncRun(id=run_id, source=source, state="queued"))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()

    def running(self, run_id: str, source: str) -> None:
        self.queued(run_id, source)
        self._set(run_id, state="running", stage="", done=0, total=0)

    def progress(self, run_id: str, stage: str, done: int, total: int) -> None:
        self._set(run_id, stage=stage, done=done, total=total)

    def finished(self, run_id: str, report: SyncReport) -> None:
        state = "failed" if report.error else "done"
        self._set(run_id, state=state, report=report.model_dump(mode="json"), error=report.error)

    def failed(self, run_id: str, error: str) -> None:
        self._set(run_id, state="failed", error=error)

    def status(self, run_id: str) -> SyncStatus | None:
        with self.sessions() as session:
            row = session.get(SyncRun, run_id)
            return _status(row) if row else None

    def previous(self, source: str, run_id: str) -> SyncStatus | None:
        """The source's latest finished sync other than `run_id`."""
        with self.sessions() as session:
            row = session.scalars(
                select(SyncRun)
                .where(SyncRun.source == source, SyncRun.id != run_id,
                       SyncRun.state.in_(("done", "failed")))
                .order_by(SyncRun.requested_at.desc())
                .limit(1)
            ).first()  # fmt: skip
            return _status(row) if row else None

    def latest(self) -> dict[str, SyncStatus]:
        """Each source's latest sync."""
        newest = (
            select(SyncRun.source, func.max(SyncRun.requested_at).label("at"))
            .group_by(SyncRun.source)
            .subquery()
        )
        with self.sessions() as session:
            rows = session.scalars(
                select(SyncRun).join(
                    newest,
                    (SyncRun.source == newest.c.source) & (SyncRun.requested_at == newest.c.at),
                )
            )
            return {row.source: _status(row) for row in rows}

    def _set(self, run_id: str, **values: object) -> None:
        with self.sessions() as session:
            session.execute(
                update(SyncRun).where(SyncRun.id == run_id).values(updated_at=utcnow(), **values)
            )
            session.commit()


def _status(row: SyncRun) -> SyncStatus:
    return SyncStatus(
        id=row.id,
        source=row.source,
        state=row.state,
        stage=row.stage,
        done=row.done,
        total=row.total,
        requested_at=utc(row.requested_at),
        updated_at=utc(row.updated_at),
        report=SyncReport.model_validate(row.report) if row.report else None,
        error=row.error,
    )
