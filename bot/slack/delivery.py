"""The Slack delivery task: post the answer in the thread, once, and clear the 👀.

It lives beside the Slack adapter (workers/ knows no platform) and runs in the delivery worker
(`celery -A bot.worker worker -Q delivery,feedback`). 429s (after Retry-After) and 5xx are
retried by the Web API client's retry handlers, then, for an outage that outlasts them, by the
task for SUPPORTBOT_DELIVERY_RETRY_FOR_S; permanent errors are logged and not retried
(`bot.chat.delivering`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.chat.delivering import (
    Placeholder,
    deliver_once,
    post_notice,
    remove_placeholder,
    show_draft,
    tell_place,
)
from bot.chat.reviewing import for_review
from bot.slack.blocks import answer_blocks, draft_text, fallback_text, link, review_blocks
from bot.slack.settings import SlackSettings
from bot.slack.streaming import Streams, message_ts
from knowledge.models import Answer, Question, SyncReport
from knowledge.records.digest import Digest, digest_text
from knowledge.records.store import Posted
from knowledge.sync.notice import change_notice

logger = logging.getLogger(__name__)
TASK = "supportbot.deliver.slack"
NOTICE = "supportbot.deliver.slack.notice"  # workers.names.notice("slack")
DIGEST = "supportbot.deliver.slack.digest"  # workers.names.digest("slack")
WAITING = "supportbot.deliver.slack.waiting"  # workers.names.place_in_line(TASK)
DRAFT = "supportbot.deliver.slack.draft"  # workers.names.draft(TASK)
#: Slack truncates a message's text beyond 40,000 characters; a notice stays well short of it.
NOTICE_LIMIT = 3000
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


_client: WebClient | None = None
#: For the place-in-line and draft messages: no retries, so a 429 (chat.update allows about 50
#: a minute per workspace) drops that courtesy instead of holding a delivery thread.
_courtesy: WebClient | None = None
_retry_for_s: float = 0.0
#: Whom a decline names when its channel's policy names nobody (SUPPORTBOT_HANDOFF_CONTACT).
_contact: str = ""
#: Drafts streamed with Slack's own streaming API, through the courtesy client.
_streams: Streams | None = None


def configure(
    client: WebClient, *, retry_for_s: float, contact: str = "", native_streaming: bool = True
) -> None:
    """Called once by the process that runs deliveries (bot.worker)."""
    global _client, _courtesy, _retry_for_s, _contact, _streams
    _client, _retry_for_s, _contact = client, retry_for_s, contact
    _courtesy = WebClient(token=client.token, base_url=client.base_url, timeout=10,
                          retry_handlers=[])  # fmt: skip
    _streams = Streams(_courtesy, enabled=native_streaming)


def transient(exc: Exception) -> bool:
    """A failure an outage explains (5xx, 429, a lost connection), worth trying again later."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status >= 500 or status == 429 or exc.response.get("error") in TRANSIENT
    return isinstance(exc, OSError | TimeoutError)


def permanent(exc: Exception) -> str | None:
    """Why Slack will never take this post (check the bot's access), or None."""
    error = str(exc.response.get("error", "")) if isinstance(exc, SlackApiError) else ""
    return error if error in PERMANENT else None


@shared_task(bind=True, name=TASK, max_retries=None)
def deliver(
    self: Task,
    result: dict[str, Any],
    *,
    channel: str,
    thread_ts: str,
    message_ts: str,
    apology: bool = False,
    posted: dict[str, Any] | None = None,
    review: str = "",
) -> dict:
    """Post the answer (or, from the sweeper, an apology) in the question's thread, once, and
    clear the 👀 (`bot.chat.delivering` says how retries and the records work). In a draft channel
    (`review`: its review channel) the answer goes there first, until a teammate approves it
    (`bot.chat.reviewing`); the asker's 👀 stays meanwhile."""
    if _client is None:
        raise RuntimeError("Slack delivery is not configured in this process (see bot.worker).")
    client = _client
    question = Question.model_validate(result["question"])
    answer = Answer.model_validate(result["answer"])
    contact = question.handoff_contact or _contact
    drafted = for_review(self, question.key, review, apology=apology)

    def post_for_review() -> Posted:
        sent = client.chat_postMessage(
            channel=review,
            text=f"Draft answer to a question in <#{channel}>",
            blocks=review_blocks(question, answer),
            unfurl_links=False,
        )
        return Posted(f"{sent['channel']}/{sent['ts']}", f"{sent['channel']}/{sent['ts']}")

    def post() -> Posted:
        sent = client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=fallback_text(answer, contact),
            blocks=answer_blocks(answer, votes=not apology, contact=contact),
            unfurl_links=False,
            metadata={"event_type": "supportbot_answer", "event_payload": {"key": question.key}},
        )
        return Posted(f"{sent['channel']}/{sent['ts']}", f"{channel}/{thread_ts}")

    done = deliver_once(
        self, key=question.key, apology=apology, posted=posted,
        post=post_for_review if drafted else post, permanent=permanent, transient=transient,
        platform="Slack", retry_for_s=_retry_for_s, for_review=drafted,
    )  # fmt: skip
    if done is None:
        return {"delivered": False}
    remove_placeholder(question.key, _placeholder(channel, thread_ts))
    if drafted:
        return {"delivered": False, "review": done.message_ref}
    try:
        client.reactions_remove(channel=channel, timestamp=message_ts, name=THINKING)
    except SlackApiError as exc:
        logger.warning("Could not remove the %s reaction: %s", THINKING, exc.response.get("error"))
    return {"delivered": True, "reply": done.message_ref}


@shared_task(name=WAITING)
def waiting(
    *, key: str, ahead: int, placeholder: str = "", channel: str, thread_ts: str, **_: Any
) -> dict:
    """Tell the question's thread how many questions are ahead of it (sent by the sweeper while
    it waits), in one message edited as the line moves."""
    told = tell_place(key, ahead, placeholder, _placeholder(channel, thread_ts))
    return {"told": told}


@shared_task(name=DRAFT)
def draft(*, key: str, text: str, channel: str, thread_ts: str, review: str = "", **_: Any) -> dict:
    """Show the answer so far in the question's thread while the model writes it (sent by the
    generation worker, at most about once a second), streamed where the workspace allows it
    (`bot.slack.streaming`), else in a message edited as it grows; never in a draft channel,
    whose asker sees only what a teammate approved."""
    if review:
        return {"shown": False}
    streamed = _streams.show(key, draft_text(text), channel, thread_ts) if _streams else None
    if streamed is not None:
        return {"shown": streamed, "streamed": True}
    shown = show_draft(key, draft_text(text), _placeholder(channel, thread_ts))
    return {"shown": shown}


def _placeholder(channel: str, thread_ts: str) -> Placeholder:
    """Post, edit and remove the one message a waiting question's thread shows: posted and
    edited without retries (a courtesy), removed with them (a stray one would stay)."""
    if _client is None or _courtesy is None:
        raise RuntimeError("Slack delivery is not configured in this process (see bot.worker).")
    client, courtesy = _client, _courtesy

    def post(text: str) -> str:
        sent = courtesy.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        return str(sent["ts"])

    def remove(ref: str) -> None:
        if _streams is not None:
            _streams.stop(channel, ref)  # a stream is stopped before it goes
        client.chat_delete(channel=channel, ts=message_ts(ref))

    return Placeholder(
        post=post,
        edit=lambda ref, text: courtesy.chat_update(channel=channel, ts=message_ts(ref), text=text),
        remove=remove,
        platform="Slack",
    )


@shared_task(bind=True, name=NOTICE, max_retries=None)
def notice(self: Task, *, channel: str, report: dict[str, Any]) -> dict:
    """Tell `channel` which pages a docs sync added, changed or removed."""
    if _client is None:
        raise RuntimeError("Slack delivery is not configured in this process (see bot.worker).")
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
    outage as answers are (`bot.chat.delivering.post_notice`), without link previews."""
    if _client is None:
        raise RuntimeError("Slack delivery is not configured in this process (see bot.worker).")
    client = _client
    posted = post_notice(
        task,
        post=lambda: client.chat_postMessage(
            channel=channel, text=text, unfurl_links=False, unfurl_media=False
        ),
        permanent=permanent, transient=transient, retry_for_s=_retry_for_s,
        what=f"{what} in Slack channel {channel}",
    )  # fmt: skip
    return {"delivered": posted}
