"""Slack payloads in, neutral `Question`s out: pure functions over recorded event shapes."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.chat.attachments import Attached
from bot.chat.policy import ChannelPolicy
from bot.chat.reactions import correction_text, vote_value
from knowledge.models import Feedback, Question, Turn

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
#: Anyone named: a person, a user group, @here/@channel/@everyone.
_ADDRESSED = re.compile(r"<(?:@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+|!here|!channel|!everyone)[|>]")
#: Message subtypes that are still a person writing (a file shared with words, a reply also sent
#: to the channel); every other subtype is an edit, a join, a bot or the like.
_WRITTEN = frozenset({None, "file_share", "thread_broadcast"})
#: A whole message (Slack allows 40,000 characters): the answer pipeline finds the question in a
#: long one (`knowledge.search.focus`) instead of losing its end.
MAX_QUESTION_CHARS = 40_000


@dataclass(frozen=True)
class Where:
    """Where to answer: the channel and the thread (the question's own ts starts one)."""

    channel: str
    thread_ts: str
    message_ts: str


def should_answer(event: Mapping[str, Any], bot_user_id: str) -> bool:
    """Not our own messages, not other bots, not edits or joins."""
    if event.get("bot_id") or event.get("subtype") in {"bot_message", "message_changed"}:
        return False
    if event.get("user") in {None, bot_user_id}:
        return False
    return event.get("type") == "app_mention" or event.get("channel_type") == "im"


def thread_reply(event: Mapping[str, Any], bot_user_id: str) -> bool:
    """A person's message inside a thread of a channel (not its first message, not a DM)."""
    if event.get("bot_id") or event.get("user") in {None, bot_user_id}:
        return False
    if event.get("subtype") not in _WRITTEN or event.get("channel_type") == "im":
        return False
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def top_level(event: Mapping[str, Any], bot_user_id: str) -> bool:
    """A person's new message in a channel: not in a thread, not a DM."""
    if event.get("bot_id") or event.get("user") in {None, bot_user_id}:
        return False
    if event.get("subtype") not in _WRITTEN or event.get("channel_type") == "im":
        return False
    return event.get("thread_ts") in {None, event.get("ts")}


def addresses_anyone(text: str) -> bool:
    """Does the message name someone (the bot included: its mention is its own event)?"""
    return _ADDRESSED.search(text) is not None


def question_text(text: str) -> str:
    """The question without the bot's mention, whitespace collapsed, length capped."""
    return " ".join(_MENTION.sub(" ", text).split())[:MAX_QUESTION_CHARS]


def where(event: Mapping[str, Any]) -> Where:
    ts = str(event["ts"])
    return Where(str(event["channel"]), str(event.get("thread_ts") or ts), ts)


def history(replies: Sequence[Mapping[str, Any]], bot_user_id: str, before_ts: str) -> list[Turn]:
    """Earlier messages of the thread, as turns; the bot's own are the assistant's."""
    turns = []
    for message in replies:
        if str(message.get("ts")) >= before_ts:
            continue
        text = question_text(str(message.get("text", "")))
        if not text:
            continue
        mine = message.get("user") == bot_user_id or bool(message.get("bot_id"))
        turns.append(Turn(role="assistant" if mine else "user", content=text))
    return turns


def attached(event: Mapping[str, Any]) -> list[Attached]:
    """The files on a message, as Slack describes them (a Slack Connect file may come with no
    link: it is then named, not read)."""
    files = event.get("files") or []
    return [
        Attached(name=str(f.get("name") or f.get("title") or "file"),
                 mimetype=str(f.get("mimetype") or ""), size=int(f.get("size") or 0),
                 url=str(f.get("url_private_download") or f.get("url_private") or ""))
        for f in files if isinstance(f, Mapping)
    ]  # fmt: skip


def to_question(
    body: Mapping[str, Any],
    event: Mapping[str, Any],
    policy: ChannelPolicy | None,
    turns: list[Turn],
    text: str | None = None,
    answer_bar: float | None = None,
) -> Question:
    return Question(
        platform="slack",
        workspace=str(body.get("team_id", "")),
        channel=str(event["channel"]),
        thread=where(event).thread_ts,
        user=str(event.get("user", "")),
        text=question_text(str(event.get("text", ""))) if text is None else text,
        event_id=str(body.get("event_id") or event.get("client_msg_id") or event["ts"]),
        history=turns,
        collections=policy.collections if policy else None,
        handoff_contact=policy.handoff if policy else None,
        answer_bar=answer_bar,
        refresh=policy.refresh if policy else False,
    )


def _at(event: Mapping[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(event.get("event_ts") or event.get("ts") or 0), UTC)


def vote(
    event: Mapping[str, Any], bot_user_id: str, up: Collection[str], down: Collection[str]
) -> Feedback | None:
    """A 👍/👎 added or removed on one of the bot's messages; None for anything else."""
    item = event.get("item") or {}
    value = vote_value(str(event.get("reaction", "")), up, down)
    user = event.get("user")
    if item.get("type") != "message" or event.get("item_user") != bot_user_id:
        return None
    if value is None or not user or user == bot_user_id:
        return None
    return Feedback(
        platform="slack",
        kind="vote" if event.get("type") == "reaction_added" else "unvote",
        user=str(user),
        message_ref=f"{item.get('channel')}/{item.get('ts')}",
        value=value,
        at=_at(event),
    )


def resolved(event: Mapping[str, Any], bot_user_id: str, emoji: Collection[str]) -> Feedback | None:
    """A ✅ added on one of the bot's answers: the question is resolved (the records decide
    whether the person may close it); None for anything else."""
    item = event.get("item") or {}
    name = str(event.get("reaction", "")).split("::", 1)[0]
    user = event.get("user")
    if event.get("type") != "reaction_added" or name not in emoji or user in {None, bot_user_id}:
        return None
    if item.get("type") != "message" or event.get("item_user") != bot_user_id:
        return None
    ref = f"{item.get('channel')}/{item.get('ts')}"
    return Feedback(
        platform="slack", kind="resolve", user=str(user), message_ref=ref, at=_at(event)
    )


def correction(event: Mapping[str, Any], bot_user_id: str, prefix: str) -> Feedback | None:
    """A person's thread reply that starts with the correction prefix; None otherwise."""
    if event.get("bot_id") or event.get("user") in {None, bot_user_id} or event.get("subtype"):
        return None
    text = correction_text(" ".join(_MENTION.sub(" ", str(event.get("text", ""))).split()), prefix)
    thread_ts = event.get("thread_ts")
    if text is None or not thread_ts:
        return None
    return Feedback(
        platform="slack",
        kind="correction",
        user=str(event["user"]),
        place=f"{event['channel']}/{thread_ts}",
        text=text,
        event_id=f"{event['channel']}/{event['ts']}",  # the same message via app_mention or message
        at=_at(event),
    )
