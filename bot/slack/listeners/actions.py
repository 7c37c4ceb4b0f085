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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from celery import Celery
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat import handoffs, reactions
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

    def on_press(ack: Ack, body: dict, client: WebClient, logger: logging.Logger) -> None:
        """ "Talk to a person" or "Mark resolved" (see `bot.chat.handoffs`)."""
        ack()
        pressed = _Pressed.of(body)
        escalate = body["actions"][0]["action_id"] == HANDOFF
        kind: Literal["escalate", "resolve"] = "escalate" if escalate else "resolve"
        policy = settings.slack_channels.get(pressed.channel)
        contact = (policy.handoff if policy else None) or settings.handoff_contact
        shown = handoffs.press(pressed.feedback(kind), records, celery,
                               mention=f"<@{pressed.user}>", contact=contact)  # fmt: skip
        if shown.note:
            _tell(client, pressed, shown.note, logger)
        if shown.post:
            _post(client, pressed, shown.post, logger)
        if shown.react:
            _react(client, pressed, ESCALATED if kind == "escalate" else RESOLVED, logger)

    app.action(HANDOFF)(on_press)
    app.action(RESOLVE)(on_press)
    app.action(SUGGEST)(on_button)
    app.action(WHY_NOT)(on_button)
    app.view(modals.BETTER_ANSWER)(on_submitted)
    app.view(modals.REASON)(on_submitted)


ESCALATED = "sos"  # the reaction on an answer whose asker asked for a person
RESOLVED = "white_check_mark"


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
