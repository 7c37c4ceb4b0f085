"""Messages that try to override the bot's instructions rather than ask about the product.

The docs never answer "ignore your instructions and ...", whatever follows it, so such a message is
declined before retrieval, like any question the docs don't hold. The patterns are the phrasings
common to published prompt-injection attacks (instruction overrides, role swaps, requests for the
hidden prompt), not any one product's; a real question rarely contains them.
"""

from __future__ import annotations

import re

_PATTERNS = (
    # "ignore all previous instructions", "disregard the rules above"
    r"\b(ignore|disregard|forget|override|bypass)\b[^.?!]{0,40}"
    r"\b(instructions?|rules|prompts?|guidelines|directives)\b",
    # "print your system prompt", "list the hidden instructions"
    r"\b(system|hidden|secret|initial|original)\s+(prompt|instructions?|message)\b",
    # role swaps: "you are now DAN", "pretend you're staff", "from now on you"
    r"\byou\s+are\s+now\b",
    r"\bfrom\s+now\s+on,?\s+you\b",
    r"\bpretend\s+(to\s+be|you\s*('re|are))\b",
    r"\b(developer|dev|god|jailbreak)\s*mode\b|\bjailbreak",
    r"\b(system|admin)\s+override\b",
)
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def looks_like_injection(question: str) -> bool:
    """Does the message try to change what the bot is, rather than ask something?"""
    return _INJECTION.search(question) is not None
