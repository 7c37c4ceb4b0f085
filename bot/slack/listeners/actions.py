"""The buttons under an answer.

"Suggest a better answer" and "Not helpful? Tell us why" open a modal; what is sent goes to the
feedback worker as a correction, or as a 👎 with its reason. "Talk to a person" pings the
channel's handoff contact in the thread, marks the answer 🆘 and records the escalation; "Mark
resolved" (the asker's, or anyone's once a person was asked for) closes the question, marked ✅.
Both are recorded at once (a button pressed twice acts once), or through the feedback worker
when the records are down, so an outage loses neither.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from celery import Celery
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot import reactions
from bot.replies import ALREADY_ESCALATED, NOT_YOURS_TO_RESOLVE, handoff_request, resolved_note
from bot.slack import modals
from bot.slack.blocks import HANDOFF, RESOLVE, SUGGEST, WHY_NOT
from bot.slack.settings import SlackSettings
from knowledge.models import Feedback
from knowledge.records.store import Records
from workers import enqueue


def register(app: App, settings: SlackSettings, celery: Celery, records: Records) -> None:
    def on_button(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        ref = f"{body['channel']['id']}/{body['container']['message_ts']}"
        pressed = body["actions"][0]["action_id"]
        view = modals.better_answer(ref) if pressed == SUGGEST else modals.reason(ref)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def on_submitted(ack: Ack, body: dict, view: dict) -> None:
        text = modals.submitted(view)
        if not text:
            ack(**modals.missing_text())
            return
        ack()
        better = view["callback_id"] == modals.BETTER_ANSWER
        for event in reactions.from_modal(
            "correction" if better else "reason", platform="slack", user=body["user"]["id"],
            message_ref=view["private_metadata"], text=text, event_id=view["id"],
        ):  # fmt: skip
            enqueue.feedback(celery, records, event)

    def on_handoff(ack: Ack, body: dict, client: WebClient, logger: logging.Logger) -> None:
        ack()
        pressed = _Pressed.of(body)
        marked = mark(pressed, "escalate", logger)
        if marked is False:  # pressed before, by anyone
            _tell(client, pressed, ALREADY_ESCALATED, logger)
            return
        stands = _quietly(lambda: records.handoff("slack", pressed.ref), logger)
        if marked and stands is not None:  # (else the feedback worker sends it once recorded)
            enqueue.handoff(celery, stands.key)
        policy = settings.slack_channels.get(pressed.channel)
        contact = (stands.contact if stands else None) or (policy.handoff if policy else None)
        ping = handoff_request(contact or settings.handoff_contact, f"<@{pressed.user}>")
        _post(client, pressed, ping, logger)
        _react(client, pressed, ESCALATED, logger)

    def on_resolve(ack: Ack, body: dict, client: WebClient, logger: logging.Logger) -> None:
        ack()
        pressed = _Pressed.of(body)
        if mark(pressed, "resolve", logger) is False:
            stands = _quietly(lambda: records.handoff("slack", pressed.ref), logger)
            if stands is not None and not stands.resolved:
                _tell(client, pressed, NOT_YOURS_TO_RESOLVE, logger)
            return  # (resolved before: said so then)
        _post(client, pressed, resolved_note(f"<@{pressed.user}>"), logger)
        _react(client, pressed, RESOLVED, logger)

    def mark(pressed: _Pressed, kind: Literal["escalate", "resolve"], logger: logging.Logger
             ) -> bool | None:  # fmt: skip
        """Record it here and now, so that a button pressed twice acts once: False when it
        was done before (or is not theirs to do). When the records are down, or don't know the
        answer yet, the feedback worker records it once they do (None)."""
        event = pressed.feedback(kind)
        try:
            marked = records.mark(kind, "slack", pressed.user, event.at, message_ref=pressed.ref)
        except SQLAlchemyError as exc:
            logger.warning("The records did not take a %s now (%s); queued", kind, exc)
            marked = None
        if marked is None:
            enqueue.feedback(celery, records, event)
        return marked

    app.action(HANDOFF)(on_handoff)
    app.action(RESOLVE)(on_resolve)
    app.action(SUGGEST)(on_button)
    app.action(WHY_NOT)(on_button)
    app.view(modals.BETTER_ANSWER)(on_submitted)
    app.view(modals.REASON)(on_submitted)


ESCALATED = "sos"  # the reaction on an answer whose asker asked for a person
RESOLVED = "white_check_mark"
T = TypeVar("T")


@dataclass(frozen=True)
class _Pressed:
    """Who pressed a button under which answer, and the thread it sits in."""

    user: str
    channel: str
    message_ts: str
    thread_ts: str
    action_ts: str

    @classmethod
    def of(cls, body: dict[str, Any]) -> _Pressed:
        message = body.get("message") or {}
        ts = str(body["container"]["message_ts"])
        thread_ts = str(message.get("thread_ts") or ts)
        pressed_at = str(body["actions"][0].get("action_ts", ""))
        return cls(str(body["user"]["id"]), str(body["channel"]["id"]), ts, thread_ts, pressed_at)

    @property
    def ref(self) -> str:
        return f"{self.channel}/{self.message_ts}"

    def feedback(self, kind: Literal["escalate", "resolve"]) -> Feedback:
        return Feedback(platform="slack", kind=kind, user=self.user, message_ref=self.ref,
                        event_id=f"{self.ref}/{self.action_ts}", at=datetime.now(UTC))  # fmt: skip


def _quietly(read: Callable[[], T], logger: logging.Logger) -> T | None:
    """A read of the records that may fail (they are down): the button then works on defaults."""
    try:
        return read()
    except SQLAlchemyError as exc:
        logger.warning("Could not read the records: %s", exc)
        return None


def _post(client: WebClient, pressed: _Pressed, text: str, logger: logging.Logger) -> None:
    try:
        client.chat_postMessage(channel=pressed.channel, thread_ts=pressed.thread_ts, text=text)
    except SlackApiError as exc:
        logger.warning("Could not post in the thread: %s", exc.response.get("error"))


def _tell(client: WebClient, pressed: _Pressed, text: str, logger: logging.Logger) -> None:
    """A note only the person who pressed sees."""
    try:
        client.chat_postEphemeral(channel=pressed.channel, user=pressed.user,
                                  thread_ts=pressed.thread_ts, text=text)  # fmt: skip
    except SlackApiError as exc:
        logger.warning("Could not answer a button: %s", exc.response.get("error"))


def _react(client: WebClient, pressed: _Pressed, name: str, logger: logging.Logger) -> None:
    try:
        client.reactions_add(channel=pressed.channel, timestamp=pressed.message_ts, name=name)
    except SlackApiError as exc:
        if exc.response.get("error") != "already_reacted":
            logger.warning("Could not add the %s reaction: %s", name, exc.response.get("error"))
