"""Citation markers: parsed, checked against the retrieved sources, renumbered in reading order.

A model may cite a source that does not exist ([7] of 4) or cite nothing. The first is removed,
never shown; the second lowers the answer's confidence. Readers see [1], [2], ... in the order the
answer uses them, each pointing at one page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.models import Citation, Source

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
_DOUBLE_SPACE = re.compile(r"[ \t]{2,}")


@dataclass(frozen=True)
class CheckedAnswer:
    """The answer text with valid, renumbered markers and the sources it cites, in order."""

    text: str
    citations: list[Citation]


def check_citations(text: str, sources: Sequence[Source]) -> CheckedAnswer:
    """Keep markers that name a retrieved source; renumber by first use; list each page once."""
    by_url: dict[str, int] = {}
    renumber: dict[int, int] = {}
    citations: list[Citation] = []

    def number_for(original: int) -> int | None:
        if not 1 <= original <= len(sources):
            return None
        if original not in renumber:
            source = sources[original - 1]
            page = source.url.split("#", 1)[0] or source.doc_id
            if page not in by_url:
                by_url[page] = len(citations) + 1
                citations.append(Citation(number=by_url[page], title=source.title, url=source.url))
            renumber[original] = by_url[page]
        return renumber[original]

    def replace(match: re.Match[str]) -> str:
        numbers: list[int] = []
        for part in re.split(r"[,;]", match.group(1)):
            new = number_for(int(part))
            if new is not None and new not in numbers:
                numbers.append(new)
        return "".join(f"[{n}]" for n in numbers)

    cleaned = _MARKER.sub(replace, text)
    cleaned = _SPACE_BEFORE_PUNCT.sub(r"\1", _DOUBLE_SPACE.sub(" ", cleaned))
    return CheckedAnswer(text=cleaned.strip(), citations=citations)


def without_markers(text: str) -> str:
    """The text with its citation markers blanked out (for reading what a sentence says)."""
    return _MARKER.sub(" ", text)


def cited_numbers(text: str) -> list[int]:
    """Every number cited in a text, in order, repeats included (for tests and evaluation)."""
    return [int(n) for m in _MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]
