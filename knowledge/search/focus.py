"""The question in a long message.

People paste logs, e-mails and stack traces, then ask at the end. Retrieval reads ~256 tokens of
a question (the embedding model's window) and the prompt a couple of thousand characters, so a
long message cut at its start loses the question itself. Instead the question is found: the last
question-like sentence (it ends in `?`, or opens like one: "how do I ...", "can we ..."), with
the sentences just before it as its context; without one, the end of the message, where people
ask. A pasted log has no full stops, so a "sentence" can be the whole log with the question at
its end: a long one is cut where its last capitalised question word starts ("... 0.4 s Can I
get a refund?"). The asker is told which part was read (`Focused.note`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Longer than this, a message is read for its question rather than whole.
MAX_MESSAGE_CHARS = 2000
#: The question plus the context before it: well inside what the embedding model reads (~256
#: tokens), so the question itself is read too.
FOCUS_CHARS = 600
#: A "sentence" longer than this is a run-on (a pasted log): its question is looked for in it.
_RUN_ON_CHARS = 300
_ASKS = re.compile(
    r"\b(?:How|What|Why|When|Where|Which|Who|Can|Could|Is|Are|Do|Does|Did|Will|Would|Should|"
    r"May|Any|Help|Please)\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_QUESTION_START = re.compile(
    r"^(?:how|what|why|when|where|which|who|whom|whose|can|could|is|are|am|do|does|did|will|"
    r"would|should|shall|may|might|has|have|any\s+idea|is\s+there|i\s+need|i\s+want|help)\b",
    re.IGNORECASE,
)
_EXCERPT_CHARS = 160


@dataclass(frozen=True)
class Focused:
    """What is searched and answered, and whether part of the message was left unread."""

    text: str
    cut: bool = False

    @property
    def note(self) -> str:
        """What the asker is told when part of their message was not read."""
        if not self.cut:
            return ""
        shown = self.text if len(self.text) <= _EXCERPT_CHARS else "…" + self.text[-_EXCERPT_CHARS:]
        return f"Your message was long, so I answered the question at its heart: “{shown}”"


def focus(message: str, *, limit: int = MAX_MESSAGE_CHARS, window: int = FOCUS_CHARS) -> Focused:
    """The message itself (whitespace collapsed) when it fits in `limit`; else its question with
    the context before it, at most `window` characters."""
    text = " ".join(message.split())
    if len(text) <= limit:
        return Focused(text)
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    asked = next(
        (i for i in range(len(sentences) - 1, -1, -1) if _question_like(sentences[i])),
        len(sentences) - 1,
    )
    kept = sentences[asked]
    if len(kept) > _RUN_ON_CHARS:
        starts = [m.start() for m in _ASKS.finditer(kept)]
        kept = kept[starts[-1] :] if starts else kept
    kept = kept[-window:]  # a question longer than the window keeps its end
    for sentence in reversed(sentences[:asked]):
        if len(kept) + 1 + len(sentence) > window:
            break
        kept = f"{sentence} {kept}"
    return Focused(kept, cut=True)


def _question_like(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or _QUESTION_START.match(sentence.strip()) is not None
