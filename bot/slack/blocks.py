"""An `Answer` as Slack Block Kit: the text, numbered source links, a feedback invitation, and
buttons to mark the question resolved, ask for a person, suggest a better answer or say why it
missed."""

from __future__ import annotations

import re
from typing import Any

from knowledge.index.links import plain_title, public_link
from knowledge.models import Answer, Question

FEEDBACK_HINT = "Was this helpful? React with :thumbsup: or :thumbsdown:."
SUGGEST = "supportbot_suggest"
WHY_NOT = "supportbot_why_not"
HANDOFF = "supportbot_handoff"
RESOLVE = "supportbot_resolve"
APPROVE = "supportbot_approve"  # a draft's "Post": to the asker, as written
EDIT = "supportbot_edit"  # a draft's "Edit, then post"
USAGE = "Mention me with a question, e.g. `@supportbot how do I reset my password?`"
_SECTION_LIMIT = 3000  # Slack's limit for a section's text
_PINGS = re.compile(r"<(?:!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+|#C[A-Z0-9]+)(?:\|[^<>&|]*)?>")


def escape(text: str) -> str:
    """Text as Slack shows it literally: a model's `<!channel>` or `<@U123>` pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(title: str, url: str) -> str:
    """A mrkdwn link whose title and url can't end it early or carry markup (`<!channel>`); the
    bare title when the url is no public http(s) link."""
    shown = escape(plain_title(title)).replace("|", "/")
    url = public_link(url, escaped=True)
    return f"<{url.replace('&', '&amp;')}|{shown}>" if url else shown


def with_contact(text: str, answer: Answer, contact: str | None) -> str:
    """An escaped decline in which the configured contact pings for real: its own escaped copy,
    and only where it is a Slack mention (`<!subteam^S1>`, `<@U1>`, `<#C1>`), is put back. A
    model's answer is never touched: only a decline's words are the bot's own."""
    if not answer.declined or not contact or not _PINGS.fullmatch(contact):
        return text
    return text.replace(escape(contact), contact)


def answer_blocks(
    answer: Answer, *, votes: bool = True, contact: str | None = None
) -> list[dict[str, Any]]:
    """The answer, its numbered sources, and (unless it is an apology) the feedback buttons; a
    decline pings `contact` (see `with_contact`)."""
    shown = with_contact(escape(answer.text)[:_SECTION_LIMIT], answer, contact)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": shown}}]
    if answer.note:  # which part of a long message was answered
        blocks.insert(0, {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"_{escape(answer.note)[:_SECTION_LIMIT]}_"}]})  # fmt: skip
    if answer.citations:
        links = "\n".join(f"[{c.number}] {link(c.title, c.url)}" for c in answer.citations)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*Sources*\n{links}"}]}
        )
    if not votes:
        return blocks
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": FEEDBACK_HINT}]})
    blocks.append({"type": "actions", "block_id": "supportbot_feedback", "elements": [
        _button(RESOLVE, "Mark resolved"), _button(HANDOFF, "Talk to a person"),
        _button(SUGGEST, "Suggest a better answer"), _button(WHY_NOT, "Not helpful? Tell us why"),
    ]})  # fmt: skip
    return blocks


def review_blocks(
    question: Question, answer: Answer, *, approved_by: str = "", edited: bool = False
) -> list[dict[str, Any]]:
    """A draft in its review channel: where it was asked (a channel link, which pings nobody),
    the question, the answer with its sources, and "Post" / "Edit, then post"; once approved,
    who posted it instead of the buttons."""
    asked = escape(question.text)[: _SECTION_LIMIT - 2].replace("\n", "\n>")
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"Draft answer to a question in <#{question.channel}>"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f">{asked}"}},
        *answer_blocks(answer, votes=False),
    ]  # fmt: skip
    if approved_by:
        how = "Edited and posted" if edited else "Posted"
        done = f":white_check_mark: {how} to the asker by <@{approved_by}>"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": done}]})
        return blocks
    blocks.append({"type": "actions", "block_id": "supportbot_review", "elements": [
        _button(APPROVE, "✅ Post", question.key, style="primary"),
        _button(EDIT, "✏️ Edit, then post", question.key),
    ]})  # fmt: skip
    return blocks


def _button(action_id: str, text: str, value: str = "", style: str = "") -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id,
              "text": {"type": "plain_text", "text": text}}  # fmt: skip
    return button | ({"value": value} if value else {}) | ({"style": style} if style else {})


def fallback_text(answer: Answer, contact: str | None = None) -> str:
    """The plain text Slack shows in notifications and to screen readers (escaped too: Slack
    parses it for mentions; a decline's contact pings)."""
    return with_contact(escape(answer.text)[:_SECTION_LIMIT], answer, contact)


def draft_text(text: str) -> str:
    """An answer being written, as its draft message shows it."""
    return escape(text)[:_SECTION_LIMIT]
