"""Answers given again after their docs changed: does the new one say something else?

A sync that changes or removes a page finds the recent answers that cited it. In channels that
opted in, each question is answered again from the new docs; the new answer is posted in the old
thread only if it differs in substance: other content words (stemmed, as retrieval reads them),
other numbers, other pages cited, or a decline where there was an answer. Rewording alone is not
worth a message in a thread people have moved on from.
"""

from __future__ import annotations

from knowledge.answers.citations import without_markers
from knowledge.answers.grounding import numbers
from knowledge.models import Answer
from knowledge.search.terms import terms

#: Content words two answers must share (F1 of their stems) to say the same thing.
SAME_WORDS = 0.7
NOTE = "The docs changed since I answered this; here is the answer from the current docs."


def differs(old: Answer, new: Answer) -> bool:
    """Whether `new` says something `old` didn't (pure)."""
    if old.declined != new.declined:
        return True
    if new.declined:
        return False  # still not in the docs: nothing new to say
    if numbers(old.text) != numbers(new.text):
        return True
    cited = {c.url.split("#")[0] for c in old.citations}
    if cited != {c.url.split("#")[0] for c in new.citations}:
        return True
    before, after = set(terms(without_markers(old.text))), set(terms(without_markers(new.text)))
    if not before or not after:
        return before != after
    shared = len(before & after)
    f1 = 2 * shared / (len(before) + len(after))
    return f1 < SAME_WORDS
