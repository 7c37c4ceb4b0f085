"""Whether to answer at all: when the docs don't hold the answer, say so instead of guessing.

A best-chunk similarity alone can't tell "how do I export to PDF?" from "how do I export to
Markdown?" when the docs cover only the second: both sound like the docs. Four signals together
can, read from what retrieval already returned:

- `similarity`: the best page's cosine similarity to the question (does anything mean the same?);
- `sentence`: the best single sentence's (does one sentence say it, or only the page's topic?);
- `coverage`: the share of the question's term weight (see `terms`) that the best page's text
  holds (does the page mention what was asked about?);
- `known`: the share of that weight the docs use anywhere (a question about "kindle" in docs that
  never say "kindle" is about something else).

They are combined by a logistic model into `answerability`, 0..1, with one threshold
(`SUPPORTBOT_DECLINE_THRESHOLD`). The weights were fitted once on the team's question sets over
three products' docs and are not specific to any of them; `supportbot eval answers` prints each
signal's and the combination's figures on your own docs, to choose the threshold. A message that
tries to override the bot's instructions is declined whatever the scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from knowledge.index.injection import looks_like_injection
from knowledge.models import Evidence, Source
from knowledge.search.terms import Vocabulary, terms

#: Logistic weights (intercept, similarity, sentence, coverage, known), fitted by
#: `benchmarks/answering/answers.py --fit` on three products' question sets pooled (README: the
#: figures).
WEIGHTS = (-4.7, 1.7, 2.3, 1.8, 2.3)


def answerability(evidence: Evidence) -> float:
    """0..1: how likely the docs answer the question; 0 for an injection attempt."""
    if evidence.injection:
        return 0.0
    bias, w_similarity, w_sentence, w_coverage, w_known = WEIGHTS
    logit = (
        bias
        + w_similarity * evidence.similarity
        + w_sentence * evidence.sentence
        + w_coverage * evidence.coverage
        + w_known * evidence.known
    )
    return 1.0 / (1.0 + math.exp(-logit))


def best_similarity(sources: Sequence[Source]) -> float | None:
    """The closest any retrieved chunk came to the question, if any was scored."""
    return max((s.similarity for s in sources if s.similarity is not None), default=None)


def gather_evidence(
    message: str, searched: str, sources: Sequence[Source], vocabulary: Vocabulary
) -> Evidence:
    """The signals for one message, the question searched for it (the message itself, or a
    follow-up made to stand alone) and the pages retrieved (best first)."""
    injection = looks_like_injection(message)
    similarity = best_similarity(sources)
    sentence = max((s.sentence_similarity or 0.0 for s in sources), default=0.0)
    weights = vocabulary.weights(searched)
    total = sum(weights.values())
    if similarity is None or not sources or total <= 0:
        return Evidence(similarity=similarity or 0.0, injection=injection)
    page = set(terms(f"{sources[0].title} {sources[0].section} {sources[0].text}"))
    return Evidence(
        similarity=similarity,
        sentence=sentence or similarity,  # without the rerank, the page's own similarity
        coverage=sum(w for t, w in weights.items() if t in page) / total,
        known=sum(w for t, w in weights.items() if vocabulary.known(t)) / total,
        injection=injection,
    )


def should_decline(evidence: Evidence, threshold: float) -> bool:
    """Decline when the docs are unlikely to answer, or the message is an injection attempt."""
    return evidence.injection or answerability(evidence) < threshold


def decline_text(contact: str) -> str:
    """What the bot says instead of guessing; `contact` is configurable per team or channel."""
    return (
        "I couldn't find this in our docs, so I'd rather not guess. "
        f"Please ask {contact}: they can help you with it."
    )


def unsure_text(contact: str) -> str:
    """What the bot says, in a channel it answers by itself, when it is not sure enough."""
    return f"I'm not sure our docs cover this, so I've asked {contact} to help you here."


def sorry_text(contact: str) -> str:
    """What the bot says when it could not answer at all (a failure, not the docs' silence)."""
    return f"Sorry, I couldn't answer this one. Please ask {contact}: they can help you with it."
