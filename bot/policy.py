"""Per-channel governance shared by every platform: which collections, and who takes over."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel
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
    #: (answerability below `answer_bar`, else SUPPORTBOT_AUTO_ANSWER_BAR) goes to a person.
    mode: Literal["mention", "auto"] = "mention"
    answer_bar: float | None = None


#: A platform's per-channel policies as a setting: a JSON object keyed by channel id.
ChannelPolicies = Annotated[dict[str, ChannelPolicy], NoDecode, JSON_OBJECT]
