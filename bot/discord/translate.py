"""Discord messages in, neutral `Question`s out, and where the answer goes: pure functions."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.chat.policy import ChannelPolicy
from bot.chat.reactions import correction_text, vote_value
from knowledge.models import Feedback, Question, Turn

_USER_MENTION = re.compile(r"<@!?\d+>")
#: A whole message (Slack allows 40,000 characters): the answer pipeline finds the question in a
#: long one (`knowledge.search.focus`) instead of losing its end.
MAX_QUESTION_CHARS = 40_000
THREAD_NAME_CHARS = 90  # Discord allows 100


def should_answer(*, author_id: int, author_is_bot: bool, bot_id: int) -> bool:
    """Never our own messages, never other bots (no bot loops)."""
    return not author_is_bot and author_id != bot_id


def question_text(text: str) -> str:
    """The question without user mentions, whitespace collapsed, length capped."""
    return " ".join(_USER_MENTION.sub(" ", text).split())[:MAX_QUESTION_CHARS]


def after_prefix(content: str, prefix: str, command: str = "ask") -> str | None:
    """`!ask how do I ...` -> `how do I ...`; None when the message is not that command."""
    head = f"{prefix}{command}"
    if not content.startswith(head):
        return None
    rest = content[len(head) :]
    if rest and not rest[0].isspace():
        return None  # `!asking` is not `!ask`
    return rest


def thread_name(question: str) -> str:
    """A thread title from the question, cut at a word."""
    if len(question) <= THREAD_NAME_CHARS:
        return question or "Question"
    return question[:THREAD_NAME_CHARS].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Said:
    """One earlier message of a thread: who said it (the bot or not) and its text."""

    mine: bool
    text: str


def history(messages: Sequence[Said]) -> list[Turn]:
    """Earlier messages, oldest first, as turns; the bot's own answers are the assistant's."""
    turns = []
    for said in messages:
        text = question_text(said.text)
        if text:
            turns.append(Turn(role="assistant" if said.mine else "user", content=text))
    return turns


def to_question(
    *,
    guild_id: int | None,
    channel_id: int,
    thread_id: int | None,
    user_id: int,
    text: str,
    event_id: int,
    turns: list[Turn],
    policy: ChannelPolicy | None,
    answer_bar: float | None = None,
) -> Question:
    """The event id is the message's or the interaction's snowflake: unique, and kept on replay."""
    return Question(
        platform="discord",
        workspace=str(guild_id) if guild_id else "dm",
        channel=str(channel_id),
        thread=str(thread_id) if thread_id else "",
        user=str(user_id),
        text=question_text(text),
        event_id=str(event_id),
        history=turns,
        collections=policy.collections if policy else None,
        handoff_contact=policy.handoff if policy else None,
        answer_bar=answer_bar,
        refresh=policy.refresh if policy else False,
    )


def vote(
    *, added: bool, emoji: str, user_id: int, channel_id: int, message_id: int, at: datetime,
    up: Collection[str], down: Collection[str],
) -> Feedback | None:  # fmt: skip
    """A 👍/👎 added or removed; None for other emoji. Whether the message is one of our answers
    is the store's to say (Discord doesn't name the author on removals)."""
    value = vote_value(emoji, up, down)
    if value is None:
        return None
    return Feedback(
        platform="discord",
        kind="vote" if added else "unvote",
        user=str(user_id),
        message_ref=f"{channel_id}/{message_id}",
        value=value,
        at=at,
    )


def correction(
    *, text: str, prefix: str, user_id: int, channel_id: int, message_id: int, at: datetime
) -> Feedback | None:
    """`correction: ...` in the channel (thread) of an answer; None for anything else."""
    better = correction_text(question_text(text), prefix)
    if better is None:
        return None
    return Feedback(
        platform="discord",
        kind="correction",
        user=str(user_id),
        place=str(channel_id),
        text=better,
        event_id=str(message_id),
        at=at,
    )


class InThread(BaseModel):
    """Answer a message: in a new thread on it, or in the thread (or DM) it was asked in."""

    kind: Literal["message"] = "message"
    channel_id: str
    message_id: str
    thread_name: str
    start_thread: bool = Field(description="False inside a thread or a DM: reply in place.")


class FollowUp(BaseModel):
    """Answer a deferred slash command through its interaction webhook (valid 15 minutes)."""

    kind: Literal["interaction"] = "interaction"
    application_id: str
    token: str


Reply = Annotated[InThread | FollowUp, Field(discriminator="kind")]
