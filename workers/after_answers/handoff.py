"""The handoff webhook: each escalation, as signed JSON, to the URL a team gives
(`SUPPORTBOT_HANDOFF_WEBHOOK_URL`), where a Zendesk, Linear or Jira automation opens a ticket.

Sent by the feedback worker once the escalation is in the records, and retried like a delivery
(1, 2, 4 … s up to the cap) for `SUPPORTBOT_HANDOFF_WEBHOOK_RETRY_FOR_S` while the receiver is down
or failing (5xx, 408, 429, no connection); a 4xx it gives for the request itself is logged and not
retried. The body carries the question's key as `id`: a receiver that got it twice (a retry after
a lost response) can tell. The signature is Slack's scheme with our names: HMAC-SHA256 of
`v1:{timestamp}:{body}` under the shared secret, sent as `X-Supportbot-Signature: v1=<hex>` beside
`X-Supportbot-Timestamp`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx
from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from knowledge.index.links import public_link
from knowledge.records.store import Escalation
from workers import names
from workers.outages.retrying import retry_later, through_records_outage
from workers.records import records, settings

logger = logging.getLogger(__name__)
_RETRIED = {408, 425, 429}


def payload(escalation: Escalation) -> dict[str, Any]:
    """The escalation as the receiver reads it: plain JSON, the thread's transcript included."""
    asked, answer = escalation.question, escalation.answer
    transcript = [turn.model_dump() for turn in asked.history]
    transcript.append({"role": "user", "content": asked.text})
    if answer is not None:
        transcript.append({"role": "assistant", "content": answer.text})
    links = [] if answer is None else [
        {"number": c.number, "title": c.title, "url": public_link(c.url)} for c in answer.citations
    ]  # fmt: skip
    return {
        "id": asked.key,
        "event": "escalation",
        "platform": asked.platform,
        "workspace": asked.workspace,
        "channel": asked.channel,
        "thread": asked.thread,
        "asked_by": asked.user,
        "escalated_by": escalation.escalated_by,
        "escalated_at": escalation.escalated_at.isoformat(),
        "question": asked.text,
        "answer": None if answer is None else answer.text,
        "declined": bool(answer and answer.declined),
        "links": links,
        "transcript": transcript,
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 of `v1:{timestamp}:{body}` (pure; receivers compute the same)."""
    signed = b"v1:" + timestamp.encode() + b":" + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_request(url: str, secret: str, body: dict[str, Any], now: float) -> httpx.Request:
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(now))
    headers = {"Content-Type": "application/json", "User-Agent": "supportbot-handoff",
               "X-Supportbot-Timestamp": stamp}  # fmt: skip
    if secret:
        headers["X-Supportbot-Signature"] = signature(secret, stamp, raw)
    return httpx.Request("POST", url, content=raw, headers=headers)


class ReceiverDown(Exception):
    """The receiver did not take it this time (5xx, 408, 429, or no connection)."""


@shared_task(bind=True, name=names.HANDOFF, max_retries=None)
def send_handoff(self: Task, *, key: str) -> dict[str, Any]:
    """Post one escalation to the webhook; True once the receiver took it (2xx)."""
    config = settings()
    if not config.handoff_webhook_url:
        return {"sent": False, "reason": "no webhook configured"}
    try:
        escalation = records().escalation(key)
    except OperationalError as exc:
        raise through_records_outage(
            self, exc, f"The records did not give escalation {key}"
        ) from exc
    if escalation is None:
        return {"sent": False, "reason": "not escalated"}
    secret = config.handoff_webhook_secret.get_secret_value()
    request = signed_request(config.handoff_webhook_url, secret, payload(escalation), time.time())
    try:
        with httpx.Client(timeout=10, follow_redirects=False) as client:
            status = client.send(request).status_code
        if status >= 500 or status in _RETRIED:
            raise ReceiverDown(f"HTTP {status}")
    except (httpx.HTTPError, ReceiverDown) as exc:
        raise retry_later(self, exc, transient=True, window_s=config.handoff_webhook_retry_for_s,
                          what=f"The handoff webhook did not take {key}") from exc  # fmt: skip
    if status >= 300:
        logger.error(
            "The handoff webhook refused escalation %s: HTTP %s (not retried)", key, status
        )
        return {"sent": False, "reason": f"HTTP {status}"}
    try:
        records().handoff_sent(key)
    except OperationalError:
        logger.warning("Escalation %s was sent; the records could not note it", key)
    logger.info("Escalation %s sent to the handoff webhook", key)
    return {"sent": True}
