"""The Discord delivery task: post the answer once, in the question's thread or as the slash
command's follow-up, and clear the 👀.

It lives beside the Discord adapter (workers/ knows no platform) and runs in the delivery worker
(`celery -A bot.worker worker -Q delivery,feedback`). discord.py's HTTP client waits out 429s
and retries 5xx a few times; an outage that outlasts it is retried by the task for
SUPPORTBOT_DELIVERY_RETRY_FOR_S; a permanent error (no access, unknown channel, an expired
interaction) is logged, not retried.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from celery import Task, shared_task
from discord import Forbidden, HTTPException, NotFound
from discord.http import HTTPClient, Route
from pydantic import TypeAdapter

from bot.discord.embeds import answer_message
from bot.discord.rest import DiscordRest
from bot.discord.translate import FollowUp, InThread, Reply
from bot.retrying import retry_later
from knowledge.models import Answer, Question
from workers import enqueue
from workers.ledger import Ledger

logger = logging.getLogger(__name__)
TASK = "supportbot.deliver.discord"
THINKING = "👀"
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
NO_THREADS_HERE = 50024  # "Cannot execute action on this channel type": reply in place
_replies: TypeAdapter[InThread | FollowUp] = TypeAdapter(Reply)
_rest: DiscordRest | None = None
_ledger: Ledger | None = None


_retry_for_s: float = 0.0


def configure(rest: DiscordRest, ledger: Ledger, *, retry_for_s: float) -> None:
    """Called once by the process that runs deliveries (bot.worker)."""
    global _rest, _ledger, _retry_for_s
    _rest, _ledger, _retry_for_s = rest, ledger, retry_for_s


def transient(exc: Exception) -> bool:
    """A failure an outage explains (5xx, 429, a lost connection), worth trying again later."""
    if isinstance(exc, HTTPException):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, aiohttp.ClientError | OSError | TimeoutError)


@shared_task(bind=True, name=TASK, max_retries=None)
def deliver(self: Task, result: dict[str, Any], *, reply: dict[str, Any]) -> dict:
    """Post `answer` where `reply` says, unless that was done already; through an outage, try
    again later (`bot.retrying`)."""
    if _rest is None or _ledger is None:
        raise RuntimeError("Discord delivery is not configured in this process (see bot.worker).")
    question = Question.model_validate(result["question"])
    answer = Answer.model_validate(result["answer"])
    where = _replies.validate_python(reply)
    if _ledger.state(question.key) == "delivered":
        logger.info("Question %s was delivered before; not posting again", question.key)
        return {"delivered": False, "reason": "already delivered"}
    body = answer_message(question, answer)
    try:
        if isinstance(where, FollowUp):
            posted = _rest.call(lambda http: _follow_up(http, where, body))
        else:
            posted = _rest.call(lambda http: _in_thread(http, where, body))
    except (Forbidden, NotFound) as exc:
        logger.error(
            "Cannot post the answer to %s: %s %s (not retried; check the bot's access, or the "
            "slash command's 15 minutes ran out)", question.key, exc.status, exc.text,
        )  # fmt: skip
        return {"delivered": False, "reason": f"{exc.status} {exc.code}"}
    except Exception as exc:
        raise retry_later(self, exc, transient=transient(exc), window_s=_retry_for_s,
                          platform="Discord", key=question.key) from exc  # fmt: skip
    message = f"{posted['channel_id']}/{posted['id']}"
    _ledger.record_delivery(question.key, message)
    enqueue.record_answer(deliver.app, result, message_ref=message, place=str(posted["channel_id"]))
    if isinstance(where, InThread):
        try:
            _rest.call(
                lambda http: http.remove_own_reaction(where.channel_id, where.message_id, THINKING)
            )
        except HTTPException as exc:
            logger.warning("Could not remove the %s reaction: %s", THINKING, exc.text)
    return {"delivered": True, "reply": message}


async def _follow_up(http: HTTPClient, where: FollowUp, body: dict[str, Any]) -> Any:
    route = Route(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        webhook_id=where.application_id,
        webhook_token=where.token,
    )
    return await http.request(route, json=body, params={"wait": "true"})


async def _in_thread(http: HTTPClient, where: InThread, body: dict[str, Any]) -> Any:
    channel_id: str | int = where.channel_id
    in_place = not where.start_thread
    if where.start_thread:
        try:
            thread = await http.start_thread_with_message(
                where.channel_id, where.message_id, name=where.thread_name,
                auto_archive_duration=1440, rate_limit_per_user=None,
            )  # fmt: skip
            channel_id = thread["id"]
        except HTTPException as exc:
            if exc.code == THREAD_EXISTS:
                channel_id = where.message_id  # a message's thread has the message's id
            elif exc.code == NO_THREADS_HERE:
                in_place = True
            else:
                raise
    if in_place:
        body = body | {
            "message_reference": {"message_id": where.message_id, "fail_if_not_exists": False}
        }
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    return await http.request(route, json=body)
