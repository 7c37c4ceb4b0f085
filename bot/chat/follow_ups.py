"""Is a reply in a thread the bot answered a follow-up, though it doesn't mention the bot?

An asker who got an answer goes on in the thread ("and on the monthly plan?") without tagging
the bot again, as they would with a person. Only the asker, only for a while and a few turns, and
never a message meant for someone else: a teammate's reply, an aside, or a thank-you (which is
what "resolved" looks like, not a question). Pure functions; the adapters bring the facts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from knowledge.records.store import AskedThread

#: Words that make up a thank-you or an "ok, got it": a message of nothing else asks nothing.
_THANKS = frozenset((
    "thanks", "thank", "thx", "ty", "tysm", "cheers", "you", "very", "so", "much", "a", "lot",
    "many", "again", "ok", "okay", "k", "kk", "great", "perfect", "awesome", "nice", "cool",
    "brilliant", "excellent", "amazing", "super", "got", "it", "that", "this", "worked", "works",
    "helps", "helped", "helpful", "solved", "fixed", "sorted", "makes", "sense", "all", "good",
    "appreciate", "appreciated", "yes", "yep", "yay", "ah", "oh", "i", "see", "now", "bot",
    "lovely", "wonderful", "sweet", "gracias", "merci", "danke",
))  # fmt: skip
#: Why a reply is not a follow-up when the asker only thanked: their question is resolved.
THANKS = "thanks, not a question"
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")  # Slack's and Discord's :emoji: names
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class FollowUpRules:
    """How long and how often an asker may go on without a mention; `opt_out` starts an aside."""

    minutes: int
    turns: int
    opt_out: str


def only_thanks(text: str) -> bool:
    """True for a message of thanks, acknowledgement or emoji alone ("thanks!", "ok got it 🙏")."""
    words = _SHORTCODE.sub(" ", text.lower())
    kept = "".join(ch for ch in words if not unicodedata.category(ch).startswith(("S", "P")))
    found = _WORD.findall(kept)
    return all(word in _THANKS for word in found) and not re.search(r"\d", kept)


def why_not(
    text: str,
    user: str,
    thread: AskedThread | None,
    now: datetime,
    rules: FollowUpRules,
    *,
    addressed_elsewhere: bool,
) -> str | None:
    """Why this reply is not a follow-up to answer; None when it is one. `addressed_elsewhere`:
    it mentions someone (or the bot itself, whose mention is answered as a question)."""
    if thread is None:
        return "not a thread the bot answered"
    if rules.minutes <= 0 or rules.turns <= 0:
        return "follow-ups are turned off"
    if user != thread.asker:
        return "not the asker"
    if addressed_elsewhere:
        return "it mentions someone"
    if rules.opt_out and text.lstrip().startswith(rules.opt_out):
        return "an aside"
    if not text.strip():
        return "nothing written (a file alone)"
    if only_thanks(text):
        return THANKS
    if now - thread.last_activity > timedelta(minutes=rules.minutes):
        return f"more than {rules.minutes} minutes since the last answer"
    if thread.questions > rules.turns:
        return f"{rules.turns} follow-ups already"
    return None
