"""Per-channel governance shared by every platform: which collections, and who takes over."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, model_validator
from pydantic_settings import NoDecode

from knowledge.env_values import JSON_OBJECT


class ChannelPolicy(BaseModel):
    """What one channel may draw on, and who it hands off to when the docs fall short."""

    collections: list[str] | None = None
    handoff: str | None = None
    #: Slack: the asker's replies in a thread the bot answered are follow-ups without a mention.
    follow_ups: bool = True
    #: `mention`: the bot answers when asked; `auto`: every new question in the channel (a Slack
    #: channel's top-level messages) is answered in its thread, and one the bot is not sure of
    #: (answerability below `answer_bar`, else SUPPORTBOT_AUTO_ANSWER_BAR) goes to a person;
    #: `draft`: the same questions are taken, but each answer goes to `review_channel` first,
    #: where a teammate posts it to the asker, as written or edited.
    mode: Literal["mention", "auto", "draft"] = "mention"
    answer_bar: float | None = None
    review_channel: str | None = None
    #: Its conversations may become tuning data (`supportbot feedback export`); off by default.
    tuning: bool = False
    #: When a sync changes a page an answer here cited (SUPPORTBOT_REFRESH_DAYS), the question
    #: is answered again, and the new answer posted in its thread if it says something new.
    refresh: bool = False

    @model_validator(mode="after")
    def _drafts_need_reviewers(self) -> ChannelPolicy:
        if self.mode == "draft" and not self.review_channel:
            raise ValueError('a channel with mode "draft" needs a review_channel')
        return self

    @property
    def answers_by_itself(self) -> bool:
        """Whether new messages are taken as questions without a mention."""
        return self.mode in ("auto", "draft")

    @property
    def reviewer(self) -> str:
        """Where this channel's answers wait for a teammate ("": posted straight away)."""
        return (self.review_channel or "") if self.mode == "draft" else ""


#: A platform's per-channel policies as a setting: a JSON object keyed by channel id.
ChannelPolicies = Annotated[dict[str, ChannelPolicy], NoDecode, JSON_OBJECT]
