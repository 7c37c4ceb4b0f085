"""The "Suggest a better answer" and "Tell us why" modals, and reading what was submitted.

The answer's message travels in `private_metadata` ("channel/ts"), so a submission points at
exactly the answer it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BETTER_ANSWER = "supportbot_better_answer"
REASON = "supportbot_reason"
_BLOCK, _INPUT = "text", "value"


def _view(callback_id: str, message_ref: str, title: str, label: str, hint: str) -> dict:
    return {
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
                    "max_length": 3000,
                },
            }
        ],
    }


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


def submitted(view: Mapping[str, Any]) -> str:
    """The text typed into the modal ("" when empty)."""
    values = view.get("state", {}).get("values", {})
    return str(values.get(_BLOCK, {}).get(_INPUT, {}).get("value") or "").strip()


def missing_text() -> dict:
    """Keep the modal open with a message under the field."""
    return {"response_action": "errors", "errors": {_BLOCK: "Please write something first."}}
