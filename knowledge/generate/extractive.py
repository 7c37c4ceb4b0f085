"""No language model: quote the most relevant passages, cited, and say that it is quoting.

For air-gapped installs, and as the fallback a team chooses explicitly when its model can't load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.generate.base import Message
from knowledge.models import ModelInfo, Source

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\[(])")
_MAX_QUOTE_CHARS = 400
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "my", "of", "on", "or", "our", "the", "this", "to", "we", "what",
    "when", "where", "which", "who", "why", "will", "with", "you", "your",
))  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def best_passage(question: str, text: str, max_chars: int = _MAX_QUOTE_CHARS) -> str:
    """The run of sentences, up to `max_chars`, that shares the most words with the question."""
    body = text.split("\n\n", 1)[-1]  # drop the "Title › Section" line
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(body.split())) if s.strip()]
    if not sentences:
        return ""
    wanted = _words(question)
    best_start = max(range(len(sentences)), key=lambda i: len(wanted & _words(sentences[i])))
    quote = sentences[best_start]
    for sentence in sentences[best_start + 1 :]:
        if len(quote) + len(sentence) + 1 > max_chars:
            break
        quote = f"{quote} {sentence}"
    return quote if len(quote) <= max_chars else quote[: max_chars - 1].rstrip() + "…"


def quote_sources(question: str, sources: Sequence[Source], limit: int = 2) -> str:
    """Quote the best passage of the top sources, each cited by its number."""
    quotes = []
    for number, source in enumerate(sources[:limit], start=1):
        passage = best_passage(question, source.text)
        if passage:
            quotes.append(f"> {passage} [{number}]")
    return "Here is what our docs say (quoted):\n\n" + "\n\n".join(quotes)


class ExtractiveGenerator:
    """Writes nothing: the answer pipeline quotes the sources instead (see `quote_sources`)."""

    def __init__(self, note: str = "") -> None:
        self.info = ModelInfo(backend="extractive", repo=note)

    def chat(self, messages: Sequence[Message], *, max_new_tokens: int) -> str | None:
        return None
