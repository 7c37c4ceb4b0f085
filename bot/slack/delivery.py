"""The Slack delivery task: post the answer in the thread, once, and clear the 👀.

It lives beside the Slack adapter (workers/ knows no platform) and runs in the delivery worker
(`celery -A bot.worker worker -Q delivery,feedback`). 429s (after Retry-After) and 5xx are
retried by the Web API client's retry handlers, then, for an outage that outlasts them, by the
task for SUPPORTBOT_DELIVERY_RETRY_FOR_S; permanent errors are logged and not retried.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from celery import Task, shared_task
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.retrying import retry_later
from bot.slack.blocks import answer_blocks, fallback_text
from bot.slack.settings import SlackSettings
from knowledge.models import Answer, Question
from workers import enqueue
from workers.ledger import Ledger

logger = logging.getLogger(__name__)
TASK = "supportbot.deliver.slack"
THINKING = "eyes"
TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                       "request_timeout"})  # fmt: skip
PERMANENT = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
     "token_revoked", "missing_scope", "msg_too_long", "no_text"}
)  # fmt: skip


def web_client(settings: SlackSettings) -> WebClient:
    """One client per process, with retries that honour Slack's Retry-After."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=3),
        ],
    )


@dataclass
class Delivery:
    client: WebClient
    ledger: Ledger
    retry_for_s: float


_delivery: Delivery | None = None


def configure(client: WebClient, ledger: Ledger, *, retry_for_s: float) -> None:
    """Called once by the process that runs deliveries (bot.worker)."""
    global _delivery
    _delivery = Delivery(client, ledger, retry_for_s)


def transient(exc: Exception) -> bool:
    """A failure an outage explains (5xx, 429, a lost connection), worth trying again later."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status >= 500 or status == 429 or exc.response.get("error") in TRANSIENT
    return isinstance(exc, OSError | TimeoutError)


@shared_task(bind=True, name=TASK, max_retries=None)
def deliver(
    self: Task, result: dict[str, Any], *, channel: str, thread_ts: str, message_ts: str
) -> dict:
    """Post `answer` in the question's thread unless that was done already; through an outage,
    try again later (`bot.retrying`)."""
    if _delivery is None:
        raise RuntimeError("Slack delivery is not configured in this process (see bot.worker).")
    question = Question.model_validate(result["question"])
    answer = Answer.model_validate(result["answer"])
    if _delivery.ledger.state(question.key) == "delivered":
        logger.info("Question %s was delivered before; not posting again", question.key)
        return {"delivered": False, "reason": "already delivered"}
    client = _delivery.client
    try:
        posted = client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=fallback_text(answer),
            blocks=answer_blocks(answer),
            unfurl_links=False,
            metadata={"event_type": "supportbot_answer", "event_payload": {"key": question.key}},
        )
    except (SlackApiError, OSError, TimeoutError) as exc:
        error = str(exc.response.get("error", "")) if isinstance(exc, SlackApiError) else ""
        if error in PERMANENT:
            logger.error(
                "Cannot post the answer to %s in %s: %s (not retried; check the bot's access)",
                question.key, channel, error,
            )  # fmt: skip
            return {"delivered": False, "reason": error}
        raise retry_later(self, exc, transient=transient(exc), window_s=_delivery.retry_for_s,
                          platform="Slack", key=question.key) from exc  # fmt: skip
    reply = f"{posted['channel']}/{posted['ts']}"
    _delivery.ledger.record_delivery(question.key, reply)
    enqueue.record_answer(deliver.app, result, message_ref=reply, place=f"{channel}/{thread_ts}")
    try:
        client.reactions_remove(channel=channel, timestamp=message_ts, name=THINKING)
    except SlackApiError as exc:
        logger.warning("Could not remove the %s reaction: %s", THINKING, exc.response.get("error"))
    return {"delivered": True, "reply": reply}
