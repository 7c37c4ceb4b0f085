"""Mentions, direct messages and follow-ups: acknowledge, react 👀, enqueue `answer | deliver`;
and `correction:` replies in an answer's thread, to the feedback worker.

A follow-up is the asker's reply in a thread the bot answered, without a mention, for a while
(`bot.chat.follow_ups` decides; the records say who asked there and when).

Bolt acknowledges the event before this runs (well inside Slack's 3 s); nothing slow happens here.
A retried event (X-Slack-Retry-Num) has the same event id, so the records claim refuses it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.chat import attachments, follow_ups
from bot.chat.follow_ups import FollowUpRules
from bot.chat.replies import UNAVAILABLE
from bot.slack import files as slack_files
from bot.slack import translate
from bot.slack.blocks import USAGE
from bot.slack.delivery import TASK, THINKING
from bot.slack.settings import SlackSettings
from knowledge.models import Feedback
from knowledge.records.store import Records
from workers import enqueue


def register(app: App, settings: SlackSettings, celery: Celery, records: Records) -> Asking:
    """Listen for questions; returns how one is taken, for the assistant panel's messages."""

    def on_question(
        body: dict, event: dict, client: WebClient, context: Any, logger: logging.Logger
    ) -> None:
        bot_user_id = str(context.get("bot_user_id") or "")
        if not translate.should_answer(event, bot_user_id):
            return
        fix = translate.correction(event, bot_user_id, settings.correction_prefix)
        if fix is not None:  # "@supportbot correction: ..." in an answer's thread
            enqueue.feedback(celery, records, fix)
            return
        ask(body, event, client, logger, bot_user_id)

    def ask(
        body: dict, event: dict, client: WebClient, logger: logging.Logger, bot_user_id: str,
        answer_bar: float | None = None,
    ) -> None:  # fmt: skip
        place = translate.where(event)
        text = with_attachments(event, client, logger)
        if not text:
            client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts, text=USAGE)
            return
        turns = []
        if place.thread_ts != place.message_ts:  # a follow-up: the thread is the context
            try:
                replies = client.conversations_replies(
                    channel=place.channel, ts=place.thread_ts, limit=50
                )
                turns = translate.history(
                    replies.get("messages", []), bot_user_id, place.message_ts
                )
            except SlackApiError as exc:
                logger.warning("Could not read the thread: %s", exc.response.get("error"))
        policy = settings.slack_channels.get(place.channel)
        question = translate.to_question(body, event, policy, turns, text, answer_bar)
        to = {"channel": place.channel, "thread_ts": place.thread_ts,
              "message_ts": place.message_ts}  # fmt: skip
        review = policy.reviewer if policy else ""
        delivery = celery.signature(TASK, kwargs=to | ({"review": review} if review else {}))
        try:
            sent = enqueue.ask(
                celery, records, question, expires_s=settings.task_expiry_s, then=delivery
            )
        except enqueue.QueueUnavailableError:
            logger.exception("Could not enqueue question %s; telling the asker", question.key)
            _say(client, logger, place.channel, place.thread_ts, UNAVAILABLE)
            return
        if sent is None:
            logger.info("Event %s already taken; ignoring the retry", question.key)
            return
        try:
            client.reactions_add(channel=place.channel, timestamp=place.message_ts, name=THINKING)
        except SlackApiError as exc:
            logger.warning("Could not add the %s reaction: %s", THINKING, exc.response.get("error"))

    def on_message(
        body: dict, event: dict, client: WebClient, context: Any, logger: logging.Logger
    ) -> None:
        """Bolt runs only the first listener that matches, and a `message` constraint on
        `channel_type` doesn't narrow it: DMs are questions, a channel reply may be a correction."""
        if event.get("channel_type") == "im":
            on_question(body, event, client, context, logger)
            return
        bot_user_id = str(context.get("bot_user_id") or "")
        fix = translate.correction(event, bot_user_id, settings.correction_prefix)
        if fix is not None:
            enqueue.feedback(celery, records, fix)
        elif translate.top_level(event, bot_user_id):
            auto_answer(body, event, client, logger, bot_user_id)
        elif translate.thread_reply(event, bot_user_id):
            why = follow_up_refused(event, logger)
            if why is None:
                ask(body, event, client, logger, bot_user_id)
                return
            logger.debug("Not a follow-up (%s): %s/%s", why, event["channel"], event["ts"])
            if why == follow_ups.THANKS:  # the asker's thanks: what "resolved" looks like
                thread = f"{event['channel']}/{event['thread_ts']}"
                thanked = Feedback(platform="slack", kind="resolve", user=str(event["user"]),
                                   place=thread, at=datetime.now(UTC))  # fmt: skip
                enqueue.feedback(celery, records, thanked)

    def with_attachments(event: dict, client: WebClient, logger: logging.Logger) -> str:
        """The question with its text files read in; the thread is told of any file left out."""
        text = translate.question_text(str(event.get("text", "")))
        files = translate.attached(event)
        if not files:
            return text
        limit = settings.attachment_max_kb * 1024
        token = settings.slack_bot_token.get_secret_value()
        read = [(f.name, content) for f in attachments.to_read(files, limit)
                if (content := slack_files.download(f.url, token, settings.slack_api_url, limit))
                is not None]  # fmt: skip
        note = attachments.left_unread(files, [name for name, _ in read], limit,
                                       has_text=bool(text or read))  # fmt: skip
        if note:
            place = translate.where(event)
            _say(client, logger, place.channel, place.thread_ts, note)
        return translate.question_text(attachments.question_with(text, read))

    def auto_answer(
        body: dict, event: dict, client: WebClient, logger: logging.Logger, bot_user_id: str
    ) -> None:
        """A new message in a channel the bot answers by itself (policy `mode: auto`, or `draft`,
        whose answers a teammate reviews first): answered in its thread, unless it names
        someone, only thanks, or starts with the opt-out prefix. An auto channel's bar goes with
        it: below it a teammate is asked instead."""
        policy = settings.slack_channels.get(str(event["channel"]))
        if policy is None or not policy.answers_by_itself:
            return
        text = str(event.get("text", ""))
        aside = bool(settings.follow_up_opt_out) and text.lstrip().startswith(
            settings.follow_up_opt_out
        )
        if translate.addresses_anyone(text) or follow_ups.only_thanks(text) or aside:
            logger.debug("Not for the bot: %s/%s", event["channel"], event["ts"])
            return
        bar = settings.auto_answer_bar if policy.answer_bar is None else policy.answer_bar
        ask(body, event, client, logger, bot_user_id,
            answer_bar=bar if policy.mode == "auto" else None)  # fmt: skip

    def follow_up_refused(event: dict, logger: logging.Logger) -> str | None:
        """Why an un-mentioned thread reply is not answered; None when it is a follow-up."""
        policy = settings.slack_channels.get(str(event["channel"]))
        if policy is not None and not policy.follow_ups:
            return "follow-ups are off in this channel"
        try:
            thread = records.thread("slack", str(event["channel"]), str(event["thread_ts"]))
        except SQLAlchemyError as exc:
            logger.warning("Could not tell whether a thread reply is a follow-up: %s", exc)
            return "the records can't be read"
        text = str(event.get("text", ""))
        return follow_ups.why_not(
            translate.question_text(text), str(event.get("user", "")), thread,
            datetime.now(UTC), rules, addressed_elsewhere=translate.addresses_anyone(text),
        )  # fmt: skip

    rules = FollowUpRules(
        settings.follow_up_minutes, settings.follow_up_turns, settings.follow_up_opt_out
    )
    app.event("app_mention")(on_question)
    app.event("message")(on_message)
    return on_question


#: How a question event is taken: `on_question(body, event, client, context, logger)`.
Asking = Callable[[dict, dict, WebClient, Any, logging.Logger], None]


def _say(
    client: WebClient, logger: logging.Logger, channel: str, thread_ts: str, text: str
) -> None:
    """Post a short reply in the thread; if Slack itself is down, the log is all there is."""
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except SlackApiError as exc:
        logger.warning("Could not tell the asker in %s: %s", channel, exc.response.get("error"))
