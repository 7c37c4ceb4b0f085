"""👍/👎 on the bot's answers, and the ✅ that marks a question resolved, to the feedback worker.

Reactions on any other message are dropped here (Slack says whose message it was: `item_user`);
the worker ties the rest to the stored answer, and sets aside what isn't one.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from slack_bolt import App

from bot.slack import translate
from bot.slack.settings import SlackSettings
from knowledge.records.store import Records
from workers import enqueue


def register(app: App, settings: SlackSettings, celery: Celery, records: Records) -> None:
    def on_reaction(event: dict, context: Any, logger: logging.Logger) -> None:
        bot_user_id = str(context.get("bot_user_id") or "")
        vote = translate.vote(event, bot_user_id, settings.slack_vote_up, settings.slack_vote_down)
        closed = translate.resolved(event, bot_user_id, settings.slack_resolved_reactions)
        if closed is not None:
            enqueue.feedback(celery, records, closed)
            return
        if vote is None:
            logger.debug(
                "Ignored reaction %s: not a vote on one of our answers", event.get("reaction")
            )
            return
        enqueue.feedback(celery, records, vote)

    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
