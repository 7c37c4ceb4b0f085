"""Reactions, replies and forms that are feedback, for any platform: pure functions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Literal

from knowledge.models import Feedback


def vote_value(emoji: str, up: Collection[str], down: Collection[str]) -> int | None:
    """+1 / -1 for the configured emoji (skin tones ignored), None for any other."""
    name = emoji.split("::", 1)[0]  # Slack: "+1::skin-tone-3"
    if name in up:
        return 1
    if name in down:
        return -1
    return None


def correction_text(text: str, prefix: str) -> str | None:
    """The better answer in `correction: ...`, or None when the message is not a correction."""
    stripped = text.strip()
    if not prefix or not stripped.lower().startswith(prefix.lower()):
        return None
    return stripped[len(prefix) :].strip() or None


def from_modal(
    kind: Literal["correction", "reason"], *, platform: str, user: str, message_ref: str,
    text: str, event_id: str,
) -> list[Feedback]:  # fmt: skip
    """What a submitted "better answer" or "tell us why" form means: a correction, or a 👎 with
    its reason (the vote first, so the reason has a vote to attach to)."""
    said: dict[str, Any] = {
        "platform": platform,
        "user": user,
        "message_ref": message_ref,
        "at": datetime.now(UTC),
    }
    if kind == "correction":
        return [Feedback(kind="correction", text=text, event_id=event_id, **said)]
    return [
        Feedback(kind="vote", value=-1, **said),
        Feedback(kind="reason", text=text, event_id=event_id, **said),
    ]
