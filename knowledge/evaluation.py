"""Retrieval evaluation: hit@1, hit@5, MRR and latency over a question file.

Gold sources are matched to retrieved pages by path suffix, file name or url, so question sets
written against a docs folder work whatever folder was ingested.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote

from pydantic import BaseModel, Field, ValidationError

from knowledge.models import Source

MRR_DEPTH = 10


class EvalQuestion(BaseModel):
    """One line of a question file."""

    id: str = ""
    question: str
    source: list[str] = Field(default_factory=list)


class RetrievalScores(BaseModel):
    """The figures for one search mode."""

    mode: str
    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr: float
    p50_ms: float
    p95_ms: float


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSONL question file; a bad line is an error naming its line number."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(EvalQuestion.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"{path}:{number}: not a question line: {exc}") from exc
    return questions


def _norm(text: str) -> str:
    return unquote(text).strip().strip("/").casefold()


def matches(source: Source, gold: str) -> bool:
    """Does a retrieved page stand for a gold source (a path, a file name or a url)?"""
    want = _norm(gold)
    if not want:
        return False
    url = _norm(source.url.split("#", 1)[0])
    for have in (_norm(source.path), _norm(source.doc_id)):
        if have and (have == want or have.endswith("/" + want) or want.endswith("/" + have)):
            return True
    return bool(url) and (url == want or url.endswith("/" + want))


def first_hit(sources: Sequence[Source], gold: Sequence[str]) -> int | None:
    """1-based rank of the first page matching any gold source, or None."""
    for rank, source in enumerate(sources, start=1):
        if any(matches(source, g) for g in gold):
            return rank
    return None


def score(mode: str, ranks: Sequence[int | None], latencies_ms: Sequence[float]) -> RetrievalScores:
    """Pure arithmetic over ranks and timings."""
    n = len(ranks) or 1
    ordered = sorted(latencies_ms) or [0.0]
    return RetrievalScores(
        mode=mode,
        questions=len(ranks),
        hit_at_1=sum(1 for r in ranks if r == 1) / n,
        hit_at_5=sum(1 for r in ranks if r is not None and r <= 5) / n,
        mrr=sum(1 / r for r in ranks if r is not None and r <= MRR_DEPTH) / n,
        p50_ms=statistics.median(ordered),
        p95_ms=ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
    )


def evaluate_retrieval(
    search: Callable[[str, str], list[Source]],
    questions: Sequence[EvalQuestion],
    modes: Sequence[str],
) -> list[RetrievalScores]:
    """Run every answerable question through `search(question, mode)` for each mode."""
    answerable = [q for q in questions if q.source]
    results = []
    for mode in modes:
        ranks: list[int | None] = []
        latencies: list[float] = []
        for q in answerable:
            started = time.perf_counter()
            sources = search(q.question, mode)
            latencies.append((time.perf_counter() - started) * 1000)
            ranks.append(first_hit(sources, q.source))
        results.append(score(mode, ranks, latencies))
    return results
