"""The Discord delivery task: post the answer once, in the question's thread or as the slash
command's follow-up, and clear the 👀.

It lives beside the Discord adapter (workers/ knows no platform) and runs in the delivery worker
(`celery -A bot.worker worker -Q delivery,feedback`). discord.py's HTTP client waits out 429s
and retries 5xx a few times; an outage that outlasts it is retried by the task for
SUPPORTBOT_DELIVERY_RETRY_FOR_S; a permanent error (no access, unknown channel, an expired
interaction) is logged, not retried (`bot.chat.delivering`).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import aiohttp
from celery import Task, shared_task
from discord import Forbidden, HTTPException, NotFound
from discord.http import HTTPClient, Route
from pydantic import TypeAdapter

from bot.chat.delivering import (
    Placeholder,
    deliver_once,
    post_notice,
    remove_placeholder,
    show_draft,
    tell_place,
)
from bot.chat.reviewing import for_review
from bot.discord.drafts import review_message
from bot.discord.embeds import answer_message, link
from bot.discord.rest import DiscordRest
from bot.discord.translate import FollowUp, InThread, Reply
from knowledge.models import Answer, Question, SyncReport
from knowledge.records.digest import Digest, digest_text
from knowledge.records.store import Posted
from knowledge.sync.notice import change_notice

logger = logging.getLogger(__name__)
TASK = "supportbot.deliver.discord"
NOTICE = "supportbot.deliver.discord.notice"  # workers.names.notice("discord")
DIGEST = "supportbot.deliver.discord.digest"  # workers.names.digest("discord")
WAITING = "supportbot.deliver.discord.waiting"  # workers.names.place_in_line(TASK)
DRAFT = "supportbot.deliver.discord.draft"  # workers.names.draft(TASK)
DRAFT_LIMIT = 1900  # a message's content is at most 2,000 characters; the answer goes in full
NOTICE_LIMIT = 2000  # a message's content
SUPPRESS_EMBEDS = 1 << 2  # no link previews under a list of pages
THINKING = "👀"
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
NO_THREADS_HERE = 50024  # "Cannot execute action on this channel type": reply in place
_replies: TypeAdapter[InThread | FollowUp] = TypeAdapter(Reply)
_rest: DiscordRest | None = None
_retry_for_s: float = 0.0


def configure(rest: DiscordRest, *, retry_for_s: float) -> None:
    """Called once by the process that runs deliveries (bot.worker)."""
    global _rest, _retry_for_s
    _rest, _retry_for_s = rest, retry_for_s


def nonce(key: str, apology: bool, *, review: bool = False) -> str:
    """The post's nonce: Discord creates one message per nonce (`enforce_nonce`, for a few
    minutes), so a post retried after Discord took it but the reply was lost posts nothing new.
    At most 25 characters; an apology, or a draft for review, is another message than the
    answer."""
    what = "review" if review else "apology" if apology else "answer"
    return hashlib.sha256(f"{key}|{what}".encode()).hexdigest()[:25]


def transient(exc: Exception) -> bool:
    """A failure an outage explains (5xx, 429, a lost connection), worth trying again later."""
    if isinstance(exc, HTTPException):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, aiohttp.ClientError | OSError | TimeoutError)


def permanent(exc: Exception) -> str | None:
    """Why Discord will never take this post (no access, an unknown channel, the slash
    command's 15 minutes ran out), or None."""
    return f"{exc.status} {exc.text}" if isinstance(exc, Forbidden | NotFound) else None


@shared_task(bind=True, name=TASK, max_retries=None)
def deliver(
    self: Task,
    result: dict[str, Any],
    *,
    reply: dict[str, Any],
    apology: bool = False,
    posted: dict[str, Any] | None = None,
    review: str = "",
) -> dict:
    """Post the answer (or, from the sweeper, an apology) where `reply` says, once, and clear
    the 👀 (`bot.chat.delivering` says how retries and the records work). In a draft channel
    (`review`: its review channel) the answer goes there first, until a teammate approves it
    (`bot.chat.reviewing`); the asker's 👀 stays meanwhile."""
    if _rest is None:
        raise RuntimeError("Discord delivery is not configured in this process (see bot.worker).")
    rest = _rest
    question = Question.model_validate(result["question"])
    answer = Answer.model_validate(result["answer"])
    where = _replies.validate_python(reply)
    body = answer_message(question, answer, votes=not apology)
    drafted = for_review(self, question.key, review, apology=apology)

    def post_for_review() -> Posted:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=review)
        once = {"nonce": nonce(question.key, False, review=True), "enforce_nonce": True}
        shown = review_message(question, answer) | once
        sent = rest.call(lambda http: http.request(route, json=shown))
        return Posted(f"{sent['channel_id']}/{sent['id']}", str(sent["channel_id"]))

    def post() -> Posted:
        if isinstance(where, FollowUp):
            sent = rest.call(lambda http: _follow_up(http, where, body))
        else:
            once = body | {"nonce": nonce(question.key, apology), "enforce_nonce": True}
            sent = rest.call(lambda http: _in_thread(http, where, once))
        return Posted(f"{sent['channel_id']}/{sent['id']}", str(sent["channel_id"]))

    done = deliver_once(
        self, key=question.key, apology=apology, posted=posted,
        post=post_for_review if drafted else post, permanent=permanent, transient=transient,
        platform="Discord", retry_for_s=_retry_for_s, for_review=drafted,
    )  # fmt: skip
    if done is None:
        return {"delivered": False}
    remove_placeholder(question.key, _placeholder(reply))
    if drafted:
        return {"delivered": False, "review": done.message_ref}
    if isinstance(where, InThread):
        try:
            rest.call(
                lambda http: http.remove_own_reaction(where.channel_id, where.message_id, THINKING)
            )
        except HTTPException as exc:
            logger.warning("Could not remove the %s reaction: %s", THINKING, exc.text)
    return {"delivered": True, "reply": done.message_ref}


@shared_task(bind=True, name=NOTICE, max_retries=None)
def notice(self: Task, *, channel: str, report: dict[str, Any]) -> dict:
    """Tell `channel` which pages a docs sync added, changed or removed."""
    synced = SyncReport.model_validate(report)
    text = change_notice(synced, link, limit=NOTICE_LIMIT)
    return _post_text(self, channel, text, f"the notice of {synced.source}'s sync")


@shared_task(bind=True, name=DIGEST, max_retries=None)
def digest(self: Task, *, channel: str, digest: dict[str, Any]) -> dict:
    """Post the weekly digest of the docs' gaps in `channel` (`workers.after_answers.digest`
    builds it)."""
    text = digest_text(Digest.model_validate(digest), link, limit=NOTICE_LIMIT)
    return _post_text(self, channel, text, "the digest")


def _post_text(task: Task, channel: str, text: str, what: str) -> dict:
    """Post a message with no question behind it (a notice, the digest), retried through an
    outage as answers are (`bot.chat.delivering.post_notice`): no mentions, no link previews."""
    if _rest is None:
        raise RuntimeError("Discord delivery is not configured in this process (see bot.worker).")
    rest = _rest
    body = {"content": text, "allowed_mentions": {"parse": []}, "flags": SUPPRESS_EMBEDS}
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
    posted = post_notice(
        task,
        post=lambda: rest.call(lambda http: http.request(route, json=body)),
        permanent=permanent, transient=transient, retry_for_s=_retry_for_s,
        what=f"{what} in Discord channel {channel}",
    )  # fmt: skip
    return {"delivered": posted}


@shared_task(name=WAITING)
def waiting(*, key: str, ahead: int, placeholder: str = "", reply: dict[str, Any]) -> dict:
    """Tell the asker how many questions are ahead of theirs (sent by the sweeper while it
    waits): a slash command's "thinking…" response becomes the message; a mention gets a reply.
    One message, edited as the line moves."""
    told = tell_place(key, ahead, placeholder, _placeholder(reply))
    return {"told": told}


@shared_task(name=DRAFT)
def draft(*, key: str, text: str, reply: dict[str, Any], review: str = "") -> dict:
    """Show the answer so far while the model writes it (sent by the generation worker, at
    most about once a second), in the same message as the place in line; never in a draft
    channel, whose asker sees only what a teammate approved."""
    if review:
        return {"shown": False}
    shown = show_draft(key, text[:DRAFT_LIMIT], _placeholder(reply))
    return {"shown": shown}


def _placeholder(reply: dict[str, Any]) -> Placeholder:
    """Post, edit and remove the one message a waiting question shows."""
    if _rest is None:
        raise RuntimeError("Discord delivery is not configured in this process (see bot.worker).")
    rest = _rest
    where = _replies.validate_python(reply)

    def post(text: str) -> str:
        return str(rest.call(lambda http: _say(http, where, "", text))["id"])

    return Placeholder(
        post=post,
        edit=lambda ref, text: rest.call(lambda http: _say(http, where, ref, text)),
        remove=lambda ref: rest.call(lambda http: _remove(http, where, ref)),
        platform="Discord",
    )


async def _say(http: HTTPClient, where: InThread | FollowUp, ref: str, text: str) -> Any:
    """Post (`ref` empty) or edit the place-in-line message; a slash command's is its original
    response (the deferred "thinking…"), whose id is `@original`."""
    body = {"content": text, "allowed_mentions": {"parse": []}}
    if isinstance(where, FollowUp):
        route = Route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                      webhook_id=where.application_id, webhook_token=where.token)  # fmt: skip
        return await http.request(route, json=body) | {"id": "@original"}
    if ref:
        route = Route("PATCH", "/channels/{channel_id}/messages/{message_id}",
                      channel_id=where.channel_id, message_id=ref)  # fmt: skip
        return await http.request(route, json=body)
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=where.channel_id)
    reference = {"message_id": where.message_id, "fail_if_not_exists": False}
    return await http.request(route, json=body | {"message_reference": reference})


async def _remove(http: HTTPClient, where: InThread | FollowUp, ref: str) -> Any:
    if isinstance(where, FollowUp):
        route = Route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                      webhook_id=where.application_id, webhook_token=where.token)  # fmt: skip
    else:
        route = Route("DELETE", "/channels/{channel_id}/messages/{message_id}",
                      channel_id=where.channel_id, message_id=ref)  # fmt: skip
    return await http.request(route)


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
