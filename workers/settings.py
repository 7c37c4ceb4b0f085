"""Worker settings: the knowledge settings plus where the queue and the ledger live."""

from __future__ import annotations

from pydantic import Field

from knowledge.settings import Settings


class WorkerSettings(Settings):
    """Defaults run embedded: SQLite files under the data folder, no server needed."""

    broker_url: str = Field(
        "",
        description="Celery broker: redis://..., amqp://..., or empty for the embedded SQLite "
        "broker (sqla+sqlite under the data folder; ~1 s per hop, no server).",
    )
    result_backend: str = Field("", description="Celery results; empty: a SQLite file.")
    ledger_url: str = Field(
        "", description="SQLAlchemy URL of the exactly-once ledger; empty: a SQLite file."
    )
    task_expiry_s: int = Field(600, ge=10, description="A question not started by then is dropped.")
    visibility_timeout_s: int = Field(
        3600, ge=5, description="Redis: an unacknowledged task is redelivered after this."
    )

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite').resolve()}"

    @property
    def resolved_result_backend(self) -> str:
        return self.result_backend or f"db+sqlite:///{(self.data_dir / 'results.sqlite').resolve()}"

    @property
    def resolved_ledger_url(self) -> str:
        return self.ledger_url or f"sqlite:///{(self.data_dir / 'ledger.sqlite').resolve()}"
