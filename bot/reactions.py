"""Reactions and replies that are feedback, for any platform: pure functions."""

from __future__ import annotations

from collections.abc import Collection


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
