"""The "Suggest a better answer" and "Tell us why" modals, and reading what was submitted.

The answer's message travels in `private_metadata` ("channel/ts"), so a submission points at
exactly the answer it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BETTER_ANSWER = "supportbot_better_answer"
REASON = "supportbot_reason"
EDIT_DRAFT = "supportbot_edit_draft"
_BLOCK, _INPUT = "text", "value"
_TEXT_LIMIT = 3000  # Slack's limit for a plain-text input


def _view(
    callback_id: str, message_ref: str, title: str, label: str, hint: str, initial: str = ""
) -> dict:
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": message_ref,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": _BLOCK,
                "label": {"type": "plain_text", "text": label},
                "hint": {"type": "plain_text", "text": hint},
                "element": {
                    "type": "plain_text_input",
                    "action_id": _INPUT,
                    "multiline": True,
                    "max_length": _TEXT_LIMIT,
                },
            }
        ],
    }
    if initial:
        view["blocks"][0]["element"]["initial_value"] = initial[:_TEXT_LIMIT]  # type: ignore[index]
    return view


def better_answer(message_ref: str) -> dict:
    return _view(
        BETTER_ANSWER, message_ref, "A better answer", "What should the answer have said?",
        "It is kept with the answer and may teach the next version of the bot.",
    )  # fmt: skip


def reason(message_ref: str) -> dict:
    return _view(
        REASON, message_ref, "What was wrong?", "Why wasn't this answer helpful?",
        "Sending this counts as a 👎 on the answer.",
    )  # fmt: skip


def edit_draft(key: str, text: str) -> dict:
    """The draft of question `key`, to edit before it is posted (the key rides in
    `private_metadata`)."""
    return _view(
        EDIT_DRAFT, key, "Edit, then post", "The answer the asker will see",
        "Your edit is posted in the thread and kept as a correction of the bot's answer.",
        initial=text,
    )  # fmt: skip


def submitted(view: Mapping[str, Any]) -> str:
    """The text typed into the modal ("" when empty)."""
    values = view.get("state", {}).get("values", {})
    return str(values.get(_BLOCK, {}).get(_INPUT, {}).get("value") or "").strip()


def missing_text() -> dict:
    """Keep the modal open with a message under the field."""
    return {"response_action": "errors", "errors": {_BLOCK: "Please write something first."}}
