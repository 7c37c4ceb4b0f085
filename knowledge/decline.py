"""Whether to answer at all: when the docs hold nothing close to the question, don't guess.

The signal is the cosine similarity between the question and the best-matching chunk (the dense
score, whatever the search mode). The threshold is a setting, calibrated on ../shared/bench with
`benchmarks/answers.py` (see the README for the figures).
"""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.models import Source


def best_similarity(sources: Sequence[Source]) -> float | None:
    """The closest any retrieved chunk came to the question, if any was scored."""
    return max((s.similarity for s in sources if s.similarity is not None), default=None)


def should_decline(sources: Sequence[Source], threshold: float) -> bool:
    """Decline when nothing was retrieved or nothing is similar enough."""
    best = best_similarity(sources)
    return best is None or best < threshold


def decline_text(contact: str) -> str:
    """What the bot says instead of guessing; `contact` is configurable per team or channel."""
    return (
        "I couldn't find this in our docs, so I'd rather not guess. "
        f"Please ask {contact}: they can help you with it."
    )


def sorry_text(contact: str) -> str:
    """What the bot says when it could not answer at all (a failure, not the docs' silence)."""
    return f"Sorry, I couldn't answer this one. Please ask {contact}: they can help you with it."
