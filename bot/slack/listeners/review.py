"""The buttons under a draft in a review channel (a channel whose policy has `mode: draft`).

"Post" sends the draft to the asker as written; "Edit, then post" opens it in a modal first.
The first approval counts (`bot.chat.reviewing`): a button pressed twice, or by two teammates, posts
once, and the draft then shows who posted it; any other press is told why nothing happened.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from celery import Celery
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.chat import reviewing
from bot.chat.replies import REVIEW_UNAVAILABLE
from bot.slack import modals
from bot.slack.blocks import APPROVE, EDIT, review_blocks
from bot.slack.settings import SlackSettings
from knowledge.records.store import Records


def register(app: App, settings: SlackSettings, celery: Celery, records: Records) -> None:
    def on_approve(ack: Ack, body: dict, client: WebClient, logger: logging.Logger) -> None:
        ack()
        draft = _Draft(str(body["actions"][0]["value"]), str(body["channel"]["id"]),
                       str(body["container"]["message_ts"]))  # fmt: skip
        post(client, logger, draft, str(body["user"]["id"]), None)

    def on_edit(ack: Ack, body: dict, client: WebClient, logger: logging.Logger) -> None:
        ack()
        draft = _Draft(str(body["actions"][0]["value"]), str(body["channel"]["id"]),
                       str(body["container"]["message_ts"]))  # fmt: skip
        try:
            answer = records.stored_answer(draft.key)
        except SQLAlchemyError as exc:
            logger.warning("Could not read the draft of %s: %s", draft.key, exc)
            answer = None
        if answer is None:
            _tell(client, logger, draft.channel, str(body["user"]["id"]), REVIEW_UNAVAILABLE)
            return
        view = modals.edit_draft(json.dumps(asdict(draft)), answer.text)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def on_edited(ack: Ack, body: dict, view: dict, client: WebClient,
                  logger: logging.Logger) -> None:  # fmt: skip
        text = modals.submitted(view)
        if not text:
            ack(**modals.missing_text())
            return
        ack()
        draft = _Draft(**json.loads(view["private_metadata"]))
        post(client, logger, draft, str(body["user"]["id"]), text)

    def post(client: WebClient, logger: logging.Logger, draft: _Draft, user: str,
             text: str | None) -> None:  # fmt: skip
        done = reviewing.approve(records, celery, key=draft.key, by=user, text=text)
        if done.note:
            _tell(client, logger, draft.channel, user, done.note)
            return
        if done.question is None or done.answer is None:
            return
        blocks = review_blocks(done.question, done.answer, approved_by=user,
                               edited=text is not None)  # fmt: skip
        try:
            client.chat_update(channel=draft.channel, ts=draft.ts, text=f"Posted by <@{user}>",
                               blocks=blocks)  # fmt: skip
        except SlackApiError as exc:  # a courtesy: the answer is on its way regardless
            logger.warning("Could not mark the draft of %s: %s", draft.key,
                           exc.response.get("error"))  # fmt: skip

    app.action(APPROVE)(on_approve)
    app.action(EDIT)(on_edit)
    app.view(modals.EDIT_DRAFT)(on_edited)


@dataclass(frozen=True)
class _Draft:
    """A draft's question, and its message in the review channel."""

    key: str
    channel: str
    ts: str


def _tell(client: WebClient, logger: logging.Logger, channel: str, user: str, text: str) -> None:
    """A note only the presser sees."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        logger.warning("Could not answer a review button: %s", exc.response.get("error"))
