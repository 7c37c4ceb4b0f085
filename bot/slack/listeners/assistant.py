"""Slack's assistant side panel (the app's "AI app" surface, where the workspace has it), through
bolt's `Assistant` middleware.

A new panel thread is greeted, with the questions people ask most as suggested prompts (only
ones several people asked and got an answer to: `knowledge.records.stats.most_asked`). A message
in the panel shows "looking in the docs…" while it is answered, then is taken like a direct
message: the panel's thread is the question's thread, its earlier messages the context, and
the answer is delivered there like any other.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App, Assistant, Say, SetStatus, SetSuggestedPrompts
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.listeners.mentions import Asking
from knowledge.records import stats
from knowledge.records.store import Records

GREETING = "Hi! Ask me anything about our product: I answer from our docs, with links to them."
LOOKING = "looking in the docs…"
PROMPTS_TITLE = "People often ask"
#: Suggested prompts come from this many days of questions.
PROMPT_DAYS = 30
_PROMPT_TITLE_LIMIT = 75


def register(app: App, records: Records, ask: Asking) -> None:
    assistant = Assistant()

    @assistant.thread_started
    def started(say: Say, set_suggested_prompts: SetSuggestedPrompts,
                logger: logging.Logger) -> None:  # fmt: skip
        say(GREETING)
        since = datetime.now(UTC) - timedelta(days=PROMPT_DAYS)
        try:
            asked = stats.most_asked(records, "slack", since=since)
        except SQLAlchemyError as exc:
            logger.warning("Could not read the most asked questions: %s", exc)
            return
        if not asked:
            return
        try:
            set_suggested_prompts(prompts=prompts(asked), title=PROMPTS_TITLE)
        except SlackApiError as exc:
            logger.warning("Could not suggest prompts: %s", exc.response.get("error"))

    @assistant.user_message
    def asked(body: dict, event: dict, client: WebClient, context: Any, set_status: SetStatus,
              logger: logging.Logger) -> None:  # fmt: skip
        try:
            set_status(LOOKING)  # Slack clears it when the answer is posted in the thread
        except SlackApiError as exc:
            logger.warning("Could not show the status: %s", exc.response.get("error"))
        ask(body, event, client, context, logger)

    app.use(assistant)


def prompts(questions: list[str]) -> list[dict[str, str]]:
    """Suggested prompts: a short title, the whole question as the message sent (pure)."""
    shown = []
    for question in questions:
        title = question if len(question) <= _PROMPT_TITLE_LIMIT else (
            question[: _PROMPT_TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…"
        )  # fmt: skip
        shown.append({"title": title, "message": question})
    return shown
