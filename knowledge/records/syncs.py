"""Syncs in the records: asked for by `supportbot ingest` / `sync` or by beat, run and reported by
the worker that owns the index, read back by the command that waits and by `supportbot sources`.

A running sync's worker touches its row every few seconds (`beat`). A row nobody has touched for
`SUPPORTBOT_SYNC_STALLED_S` belongs to a worker that died: the sweeper marks it failed
(`abandon`, once, whoever else looks) and sends its `request` again for when a worker is back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    request: dict[str, Any] | None = None


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

    def running(self, run_id: str, source: str, request: dict[str, Any] | None = None) -> None:
        """The sync has started; `request` (the task and its arguments) sends it again if its
        worker dies."""
        self.queued(run_id, source)
        self._set(run_id, state="running", stage="", done=0, total=0,
                  **({"request": request} if request else {}))  # fmt: skip

    def beat(self, run_id: str) -> None:
        """The worker is still on it (the row of a finished sync is left as it is)."""
        with self.sessions() as session:
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.state == "running")
                .values(updated_at=utcnow())
            )
            session.commit()

    def stalled(self, before: datetime) -> list[SyncStatus]:
        """Running syncs whose worker has said nothing since `before`."""
        with self.sessions() as session:
            rows = session.scalars(
                select(SyncRun)
                .where(SyncRun.state == "running", SyncRun.updated_at < before)
                .order_by(SyncRun.requested_at)
            )
            return [_status(row) for row in rows]

    def abandon(self, run_id: str, before: datetime, why: str) -> bool:
        """Mark a stalled sync failed; False when its worker spoke meanwhile, or another sweeper
        got there first (so only one sends it again)."""
        with self.sessions() as session:
            result = session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.state == "running",
                       SyncRun.updated_at < before)
                .values(state="failed", error=why, updated_at=utcnow())
            )  # fmt: skip
            session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

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
        request=row.request,
    )
