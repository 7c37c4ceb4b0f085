"""Evaluation over question files: retrieval (hit@1, hit@5, MRR, latency) and declines.

Gold sources are matched to retrieved pages by path suffix, file name or url, so question sets
written against a docs folder work whatever folder was ingested. Declines compare answerable
questions with out-of-scope ones, signal by signal, so a team can choose its own threshold.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, Field, ValidationError

from knowledge.answers.decline import answerability
from knowledge.models import Answer, Evidence, Source

MRR_DEPTH = 10
#: The share of answerable questions a single signal's best threshold may decline.
MAX_WRONGLY_DECLINED = 0.05
DECLINE_SIGNALS = ("similarity", "sentence", "coverage", "known", "answerability")


class EvalQuestion(BaseModel):
    """One line of a question file."""

    id: str = ""
    question: str
    source: list[str] = Field(default_factory=list)
    answer: str = Field("", description="A short reference answer taken from the sources.")
    kind: str = Field("", description="single, section, near_duplicate, multi, numeric...")


class RetrievalScores(BaseModel):
    """The figures for one search mode."""

    mode: str
    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr: float
    p50_ms: float
    p95_ms: float
    by_kind: dict[str, RetrievalScores] = Field(
        default_factory=dict, description="The same figures per question kind, where given."
    )


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


def percentile(values: Sequence[float], q: float) -> float:
    """The value below which a share `q` of `values` lies (nearest rank); 0 for none."""
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def score(mode: str, ranks: Sequence[int | None], latencies_ms: Sequence[float]) -> RetrievalScores:
    """Pure arithmetic over ranks and timings."""
    n = len(ranks) or 1
    return RetrievalScores(
        mode=mode,
        questions=len(ranks),
        hit_at_1=sum(1 for r in ranks if r == 1) / n,
        hit_at_5=sum(1 for r in ranks if r is not None and r <= 5) / n,
        mrr=sum(1 / r for r in ranks if r is not None and r <= MRR_DEPTH) / n,
        p50_ms=statistics.median(latencies_ms or [0.0]),
        p95_ms=percentile(latencies_ms, 0.95),
    )


def evaluate_retrieval(
    search: Callable[[str, str], list[Source]],
    questions: Sequence[EvalQuestion],
    modes: Sequence[str],
) -> list[RetrievalScores]:
    """Run every answerable question through `search(question, mode)` for each mode."""
    answerable = [q for q in questions if q.source]
    kinds = sorted({q.kind for q in answerable if q.kind})
    results = []
    for mode in modes:
        ranks: list[int | None] = []
        latencies: list[float] = []
        for q in answerable:
            started = time.perf_counter()
            sources = search(q.question, mode)
            latencies.append((time.perf_counter() - started) * 1000)
            ranks.append(first_hit(sources, q.source))
        overall = score(mode, ranks, latencies)
        for kind in kinds:
            picked = [i for i, q in enumerate(answerable) if q.kind == kind]
            overall.by_kind[kind] = score(
                mode, [ranks[i] for i in picked], [latencies[i] for i in picked]
            )
        results.append(overall)
    return results


class DeclineFigures(BaseModel):
    """How well one signal, at one threshold, tells answerable from out-of-scope questions."""

    signal: str
    threshold: float
    auc: float = Field(description="P(an answerable question scores above an out-of-scope one).")
    declined: float = Field(description="Share of out-of-scope questions declined (right).")
    wrongly_declined: float = Field(description="Share of answerable questions declined (wrong).")


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Area under the ROC curve, ties counting half."""
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def strictest_threshold(answerable: Sequence[float], max_wrong: float) -> float:
    """The highest threshold ("decline below it") that declines at most `max_wrong` of these."""
    ordered = sorted(answerable)
    allowed = int(max_wrong * len(ordered))
    return ordered[allowed] if ordered else 0.0


def evaluate_declines(
    answerable: Sequence[Evidence], out_of_scope: Sequence[Evidence], threshold: float
) -> list[DeclineFigures]:
    """Each signal at its strictest threshold that keeps wrong declines within 5%, then the
    combination at the configured threshold, which is what the bot does (injections included)."""
    rows = []
    for signal in DECLINE_SIGNALS:
        inside = [_signal(e, signal) for e in answerable]
        outside = [_signal(e, signal) for e in out_of_scope]
        cut = strictest_threshold(inside, MAX_WRONGLY_DECLINED)
        rows.append(_figures(signal, cut, inside, outside, auc(inside, outside)))
    inside = [answerability(e) for e in answerable]
    outside = [answerability(e) for e in out_of_scope]
    rows.append(
        _figures("answerability (configured)", threshold, inside, outside, auc(inside, outside))
    )
    return rows


def _signal(evidence: Evidence, signal: str) -> float:
    return answerability(evidence) if signal == "answerability" else getattr(evidence, signal)


def _figures(
    signal: str, threshold: float, inside: Sequence[float], outside: Sequence[float], area: float
) -> DeclineFigures:
    return DeclineFigures(
        signal=signal,
        threshold=threshold,
        auc=area,
        declined=sum(v < threshold for v in outside) / (len(outside) or 1),
        wrongly_declined=sum(v < threshold for v in inside) / (len(inside) or 1),
    )


class AnswerFigures(BaseModel):
    """What `supportbot eval answers` reports: the decline signals, then the bot's own answers."""

    answerable: int
    out_of_scope: int
    signals: list[DeclineFigures]
    declined: float = Field(description="Out-of-scope questions the bot declined (right).")
    wrongly_declined: float = Field(description="Answerable questions the bot declined (wrong).")
    cited_right_page: float = Field(
        description="Of the answerable questions it answered, the share citing a gold page."
    )
    p50_ms: float
    p95_ms: float
    posted: int = Field(0, description="Answers posted (not declined), over both sets.")
    posted_cited: int = Field(0, description="Posted answers with at least one valid citation.")
    right_page_of_answerable: float = Field(
        0.0, description="Answerable questions whose answer cites a gold page (declines count 0)."
    )
    sentences_written: int = Field(0, description="Sentences the model wrote.")
    sentences_removed: int = Field(0, description="Of those, left out by the grounding check.")
    removed_why: dict[str, int] = Field(default_factory=dict)
    quoted_instead: int = Field(
        0, description="Model answers with nothing supported left: the docs were quoted."
    )
    sentences_recited: int = Field(
        0, description="Sentences cited to the source that holds them, not the one the model named."
    )


def cited_sources(answer: Answer) -> list[Source]:
    """The retrieved pages an answer's numbered links point at (a link may name a section; a
    page without a public URL is cited by its title)."""
    cited = {_page(c.url, c.title) for c in answer.citations}
    return [s for s in answer.retrieved if _page(s.url, s.title) in cited]


def _page(url: str, title: str) -> str:
    return url.split("#", 1)[0] or f"title: {title}"


def evaluate_answers(
    answerable: Sequence[tuple[Answer, Sequence[str]]],
    out_of_scope: Sequence[Answer],
    threshold: float,
) -> AnswerFigures:
    """Pure arithmetic over answers already given (`answerable` pairs each with its gold pages)."""
    inside = [answer for answer, _ in answerable]
    answered = [(a, gold) for a, gold in answerable if not a.declined]
    right = sum(any(matches(s, g) for s in cited_sources(a) for g in gold) for a, gold in answered)
    latencies = [a.timings.total_ms for a in (*inside, *out_of_scope)]
    return AnswerFigures(
        answerable=len(inside),
        out_of_scope=len(out_of_scope),
        signals=evaluate_declines(
            [a.evidence or Evidence() for a in inside],
            [a.evidence or Evidence() for a in out_of_scope],
            threshold,
        ),
        declined=sum(a.declined for a in out_of_scope) / (len(out_of_scope) or 1),
        wrongly_declined=sum(a.declined for a in inside) / (len(inside) or 1),
        cited_right_page=right / (len(answered) or 1),
        p50_ms=statistics.median(latencies or [0.0]),
        p95_ms=percentile(latencies, 0.95),
        **grounding_figures([*inside, *out_of_scope]),
        right_page_of_answerable=right / (len(inside) or 1),
    )


def grounding_figures(answers: Sequence[Answer]) -> dict[str, Any]:
    """What was posted and what the grounding check did to the model's answers (pure)."""
    posted = [a for a in answers if not a.declined]
    checked = [a.grounding for a in posted if a.grounding is not None]
    why = Counter(r.why.split(" [", 1)[0] for g in checked for r in g.removed)
    return {
        "posted": len(posted),
        "posted_cited": sum(bool(a.citations) for a in posted),
        "sentences_written": sum(g.sentences for g in checked),
        "sentences_removed": sum(len(g.removed) for g in checked),
        "removed_why": dict(why.most_common()),
        "quoted_instead": sum(bool(g.quoted_because) for g in checked),
        "sentences_recited": sum(g.recited for g in checked),
    }
