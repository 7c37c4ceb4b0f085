"""Personal data out of tuning data: emails, phone numbers, user mentions and platform ids.

The model should learn the voice, not who asked. Placeholders keep sentences readable.
"""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"), "@someone"),  # Slack user mention
    (re.compile(r"<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"), "@team"),  # Slack user group
    (re.compile(r"<@!?\d{15,21}>"), "@someone"),  # Discord user mention
    (re.compile(r"<@&\d{15,21}>"), "@team"),  # Discord role mention
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w/])\d{17,20}(?![\w/])"), "[id]"),  # bare Discord snowflakes
    (re.compile(r"(?<![\w/])\+?\d[\d ().-]{7,}\d(?![\w/])"), "[phone]"),
    (re.compile(r"\b[UW][A-Z0-9]{8,11}\b"), "[user]"),  # bare Slack user ids
]


def scrub(text: str) -> str:
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text
