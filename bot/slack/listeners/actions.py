"""The buttons under an answer: "Suggest a better answer" and "Not helpful? Tell us why" open a
modal; what is sent goes to the feedback worker as a correction, or as a 👎 with its reason."""

from __future__ import annotations

from celery import Celery
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reactions
from bot.slack import modals
from bot.slack.blocks import SUGGEST, WHY_NOT
from bot.slack.settings import SlackSettings
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

    app.action(SUGGEST)(on_button)
    app.action(WHY_NOT)(on_button)
    app.view(modals.BETTER_ANSWER)(on_submitted)
    app.view(modals.REASON)(on_submitted)
