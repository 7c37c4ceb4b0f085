"""No language model: quote the most relevant passages, cited, and say that it is quoting.

For air-gapped installs, and as the fallback a team chooses explicitly when its model can't load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.generate.base import Message
from knowledge.markup import readable
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


def _passages(text: str, title: str) -> list[list[str]]:
    """The sentences of each chunk of a source (each chunk opens with a "Title › Section" line),
    as plain text."""
    chunks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line == title or line.startswith(f"{title} › "):
            chunks.append([])
        else:
            chunks[-1].append(readable(line))  # a quote shows text, not markup
    return [
        [s.strip() for s in _SENTENCE.split(" ".join(" ".join(c).split())) if s.strip()]
        for c in chunks
        if any(line.strip() for line in c)
    ]


def best_passage(question: str, text: str, title: str, max_chars: int = _MAX_QUOTE_CHARS) -> str:
    """The run of sentences of one chunk, up to `max_chars`, that best matches the question."""
    wanted = _words(question)
    candidates = [(c, i) for c in _passages(text, title) for i in range(len(c))]
    if not candidates:
        return ""
    sentences, start = max(candidates, key=lambda ci: len(wanted & _words(ci[0][ci[1]])))
    quote = sentences[start]
    for sentence in sentences[start + 1 :]:
        if len(quote) + len(sentence) + 1 > max_chars:
            break
        quote = f"{quote} {sentence}"
    return quote if len(quote) <= max_chars else quote[: max_chars - 1].rstrip() + "…"


#: A second source is quoted only when it is about as close to the question as the first.
_CLOSE_ENOUGH = 0.1


def quote_sources(question: str, sources: Sequence[Source], limit: int = 2) -> str:
    """Quote the best passage of the top source (and of a runner-up that is nearly as close)."""
    best = max((s.similarity or 0.0 for s in sources), default=0.0)
    quotes = []
    for number, source in enumerate(sources[:limit], start=1):
        if number > 1 and (source.similarity or 0.0) < best - _CLOSE_ENOUGH:
            continue
        passage = best_passage(question, source.text, source.title)
        if passage:
            quotes.append(f"> {passage} [{number}]")
    return "Here is what our docs say (quoted):\n\n" + "\n\n".join(quotes)


class ExtractiveGenerator:
    """Writes nothing: the answer pipeline quotes the sources instead (see `quote_sources`)."""

    def __init__(self, note: str = "") -> None:
        self.info = ModelInfo(backend="extractive", repo=note)

    def chat(self, messages: Sequence[Message], *, max_new_tokens: int) -> str | None:
        return None
