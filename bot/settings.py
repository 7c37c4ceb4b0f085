"""Settings every chat adapter shares, on top of the workers' (and knowledge's) settings."""

from __future__ import annotations

from pydantic import Field

from workers.settings import WorkerSettings


class BotSettings(WorkerSettings):
    correction_prefix: str = Field(
        "correction:",
        description="A thread reply starting with this gives the better answer (any case).",
    )
    auto_answer_bar: float = Field(
        0.5,
        ge=0,
        le=1,
        description="In a channel answered without a mention (mode auto), a question below this "
        "answerability gets no answer: a teammate is asked instead (obsidian bench: 72% of "
        "off-topic questions and 11% of answerable ones).",
    )
    attachment_max_kb: int = Field(
        32,
        ge=0,
        description="A text file attached to a question (.txt, .md, .log, .json …) is read into it "
        "up to this size; larger ones, images and other files get one line saying so.",
    )
    delivery_retry_for_s: int = Field(
        1800,
        ge=0,
        description="How long a delivery keeps retrying through a Slack/Discord outage (5xx, "
        "429, connection errors) before it gives up.",
    )
