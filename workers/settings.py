"""Worker settings: the knowledge settings plus the queue, its timeouts and the sweeper."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from knowledge.settings import Settings


class WorkerSettings(Settings):
    """Defaults run embedded: SQLite files under the data folder, no server needed."""

    broker_url: str = Field(
        "",
        description="Celery broker: redis://..., amqp://..., or empty for the embedded SQLite "
        "broker (sqla+sqlite under the data folder; ~1 s per hop, no server).",
    )
    task_expiry_s: int = Field(
        600,
        ge=10,
        description="A question no worker started by then is not answered: the asker is told.",
    )
    visibility_timeout_s: int = Field(
        300,
        ge=5,
        description="Redis: a task whose worker died is handed to another after this. Longer "
        "than the slowest answer, shorter than the expiry (so the question is still answered).",
    )
    records_retry_for_s: int = Field(
        3600,
        ge=0,
        description="A vote or a delivery record keeps trying this long through a database "
        "outage (kept in the broker meanwhile).",
    )
    sweep_every_s: int = Field(
        30, ge=1, description="How often the sweeper looks for questions nobody answered."
    )
    resend_after_s: int = Field(
        300,
        ge=10,
        description="An answer written but not posted after this is handed to delivery again.",
    )

    handoff_webhook_url: str = Field(
        "",
        description='Each escalation ("Talk to a person") is POSTed here as signed JSON, for a '
        "ticketing automation; empty: none is sent.",
    )
    handoff_webhook_secret: SecretStr = Field(
        SecretStr(""), description="Signs each webhook request (X-Supportbot-Signature)."
    )
    handoff_webhook_retry_for_s: int = Field(
        1800, ge=0, description="How long an escalation keeps trying a receiver that is down."
    )

    digest_to: str = Field(
        "",
        pattern=r"^$|^(slack|discord):[A-Za-z0-9]+$",
        description="Where the weekly digest of the docs' gaps is posted: slack:CHANNEL_ID or "
        "discord:CHANNEL_ID; empty: no digest.",
    )
    digest_cron: str = Field(
        "0 9 * * 1",
        pattern=r"^\S+ \S+ \S+ \S+ \S+$",
        description="When the digest is sent: a crontab line (minute hour day month weekday), "
        "in UTC; default Monday 09:00.",
    )
    report_url: str = Field(
        "",
        description="Where `supportbot report` is served, for the digest's links into it "
        "(without its token: a reader's browser holds it).",
    )
    refresh_days: int = Field(
        30,
        ge=0,
        description="When a sync changes or removes a page, answers from this many days back "
        "that cited it are listed in its notice (and, where the channel opted in, answered "
        "again); 0 turns this off.",
    )
    stream_every_s: float = Field(
        1.0,
        ge=0,
        description="While the model writes, the thread is shown the answer so far, edited at "
        "most this often (the platforms allow about one edit a second); 0 turns it off.",
    )

    @model_validator(mode="after")
    def _requeued_before_expiry(self) -> WorkerSettings:
        """A dead worker's question comes back after the visibility timeout (and kombu's ~10 s
        scan); with a longer timeout it would always come back expired."""
        if self.visibility_timeout_s + 60 > self.task_expiry_s:
            raise ValueError(
                "SUPPORTBOT_VISIBILITY_TIMEOUT_S must be at least 60 s shorter than "
                f"SUPPORTBOT_TASK_EXPIRY_S (now {self.visibility_timeout_s} and "
                f"{self.task_expiry_s}): a dead worker's question would come back expired"
            )
        return self

    @property
    def retry_cap_s(self) -> float:
        """The longest wait between a task's tries. A retry waits in a worker unacknowledged, and
        Redis hands a message unacknowledged for longer than the visibility timeout to a second
        worker: a copy of the same try, posting twice. Half the timeout leaves room for both."""
        return min(60.0, self.visibility_timeout_s / 2)

    @property
    def answer_deadline_s(self) -> int:
        """After this long a question that has no answer will not get one: it expired unstarted,
        or its worker died and its task came back past the expiry."""
        return self.task_expiry_s + self.visibility_timeout_s + 60

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite').resolve()}"
