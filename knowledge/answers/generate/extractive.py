"""No language model: quote the most relevant passages, cited, and say that it is quoting.

For air-gapped installs, and as the fallback a team chooses explicitly when its model can't load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answers.generate.base import Message, OnText
from knowledge.index.markup import slugify
from knowledge.index.passages import Passage, passages
from knowledge.models import ModelInfo, Source

_MAX_QUOTE_CHARS = 400
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "my", "of", "on", "or", "our", "the", "this", "to", "we", "what",
    "when", "where", "which", "who", "why", "will", "with", "you", "your",
))  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _best(question: str, text: str, title: str, max_chars: int) -> tuple[str, str]:
    """(quote, heading trail of its chunk): the run of sentences of one chunk, up to
    `max_chars`, that best matches the question, or the whole chunk when it fits. A sentence
    scores the question's words found in it or in its chunk's headings (a section titled
    "Didn't get the email" answers "the email never came"), ties going to the words in the
    sentence itself."""
    wanted = _words(question)
    candidates = [(p, i, _words(p.heading)) for p in passages(text, title)
                  for i in range(len(p.sentences))]  # fmt: skip
    if not candidates:
        return "", ""

    def score(candidate: tuple[Passage, int, set[str]]) -> tuple[int, int]:
        passage, i, heading = candidate
        said = _words(passage.sentences[i])
        return len(wanted & (said | heading)), len(wanted & said)

    passage, start, _ = max(candidates, key=score)
    if len(" ".join(passage.sentences)) <= max_chars:
        start = 0  # a short section is quoted whole: its opening line is usually the answer
    quote = passage.sentences[start]
    for sentence in passage.sentences[start + 1 :]:
        if len(quote) + len(sentence) + 1 > max_chars:
            break
        quote = f"{quote} {sentence}"
    quote = quote if len(quote) <= max_chars else quote[: max_chars - 1].rstrip() + "…"
    return quote, passage.heading


def best_passage(question: str, text: str, title: str, max_chars: int = _MAX_QUOTE_CHARS) -> str:
    """The run of sentences of one chunk, up to `max_chars`, that best matches the question."""
    return _best(question, text, title, max_chars)[0]


def quoted_url(source: Source, heading: str) -> str:
    """The link to the section a quote came from: the page with the anchor of the quoted
    chunk's last heading, none for the page's own title. A page whose own url has an anchor
    (not one the chunker added) keeps its url."""
    page = source.url
    if source.section:
        added = "#" + slugify(source.section.split(" › ")[-1])
        page = page.removesuffix(added)
    trail = heading.split(" › ")[1:]
    if "#" in page or not page:
        return source.url
    return f"{page}#{slugify(trail[-1])}" if trail else page


#: A second source is quoted only when it is about as close to the question as the first.
_CLOSE_ENOUGH = 0.1


@dataclass(frozen=True)
class Quoted:
    """The quoting answer, and the sources with each link pointing at the section quoted."""

    text: str
    sources: list[Source]


def quote_sources(question: str, sources: Sequence[Source], limit: int = 2) -> Quoted:
    """Quote the best passage of the top source (and of a runner-up that is nearly as close)."""
    best = max((s.similarity or 0.0 for s in sources), default=0.0)
    quotes = []
    linked = list(sources)
    for number, source in enumerate(sources[:limit], start=1):
        if number > 1 and (source.similarity or 0.0) < best - _CLOSE_ENOUGH:
            continue
        passage, heading = _best(question, source.text, source.title, _MAX_QUOTE_CHARS)
        if passage:
            quotes.append(f"> {passage} [{number}]")
            section = " › ".join(heading.split(" › ")[1:])
            linked[number - 1] = source.model_copy(
                update={"url": quoted_url(source, heading), "section": section}
            )
    return Quoted("Here is what our docs say (quoted):\n\n" + "\n\n".join(quotes), linked)


class ExtractiveGenerator:
    """Writes nothing: the answer pipeline quotes the sources instead (see `quote_sources`)."""

    def __init__(self, note: str = "") -> None:
        self.info = ModelInfo(backend="extractive", repo=note)

    def chat(
        self, messages: Sequence[Message], *, max_new_tokens: int, on_text: OnText | None = None
    ) -> str | None:
        return None
