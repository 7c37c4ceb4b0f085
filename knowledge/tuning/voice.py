"""A brand-voice check: style markers from the voice guidelines, scored on generated answers.

The bundled guidelines ask for short answers (two to five sentences), cited facts, "you" for the
reader, and no filler. Each answer scores the share of those markers it meets; a tuned adapter
should not score lower than the model it replaces. Cheap and model-free, so it runs anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FILLER = (
    "great question", "i hope this helps", "happy to help", "feel free to", "as an ai",
    "i'm just", "best-in-class", "world-class", "seamless",
)  # fmt: skip
_SENTENCE = re.compile(r"[.!?](?:\s|$)")
_CITATION = re.compile(r"\[\d+\]")
_READER = re.compile(r"\byou(r|rs)?\b", re.IGNORECASE)


def markers(text: str) -> dict[str, bool]:
    sentences = max(1, len(_SENTENCE.findall(text)))
    lowered = text.lower()
    return {
        "short": sentences <= 5 and len(text.split()) <= 120,
        "cites": bool(_CITATION.search(text)),
        "speaks_to_reader": bool(_READER.search(text)),
        "no_filler": not any(phrase in lowered for phrase in FILLER),
    }


def voice_score(answers: Iterable[str]) -> float:
    """Mean share of markers met, 0..1 (0 with no answers)."""
    scores = [sum(m.values()) / len(m) for m in map(markers, answers)]
    return sum(scores) / len(scores) if scores else 0.0
