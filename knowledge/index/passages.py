"""A retrieved page's text as passages: each chunk's heading trail and its readable sentences.

Shared by the sentence reranker (which embeds the sentences) and the extractive backend (which
quotes them), so the sentence that ranked a page is one the reader can be shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.index.markup import readable

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\[(])")
#: A list item or a table row is a statement of its own even without a full stop.
_ITEM = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\|)")


@dataclass(frozen=True)
class Passage:
    """One chunk of a source: its heading trail ("Title › Section › Sub") and its sentences."""

    heading: str
    sentences: list[str]


def passages(text: str, title: str) -> list[Passage]:
    """The chunks of a source (each opens with a "Title › Section" line), as plain sentences."""
    chunks: list[tuple[str, list[list[str]]]] = [(title, [[]])]
    for line in text.split("\n"):
        if line == title or line.startswith(f"{title} › "):
            chunks.append((line, [[]]))
            continue
        blocks = chunks[-1][1]
        if not line.strip() or _ITEM.match(line):
            blocks.append([])  # a paragraph, list item or table row ends the sentence before
        blocks[-1].append(readable(line))  # a quote shows text, not markup
    found = []
    for heading, blocks in chunks:
        sentences = [
            sentence.strip()
            for block in blocks
            for sentence in _SENTENCE.split(" ".join(" ".join(block).split()))
            if sentence.strip()
        ]
        if sentences:
            found.append(Passage(heading, sentences))
    return found
