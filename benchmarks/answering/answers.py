"""Answer figures, printed in one run (issue: answers).

1. Declines: each decline signal (similarity, coverage, known, and their combination
   answerability) on answerable vs out-of-scope questions of ../shared/bench (coda, obsidian) and
   of the sample docs (benchmarks/questions/): ROC AUC, and the share of out-of-scope questions
   declined (right) and of answerable ones declined (wrong). `--fit` also fits the combination's
   logistic weights on all sets pooled (the WEIGHTS in knowledge/answers/decline.py) and shows each
   set scored by weights fitted on the other sets only, as a check that they carry over.
2. Time per question, split into retrieve / generate / everything else, for each backend that runs
   here (the tiny Hub-path model, extractive), and the first question (model load included) vs the
   second.

Usage: .venv/bin/python benchmarks/answering/answers.py [--bench ../shared/bench] [--fit]
       [--no-timing]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.tiny_model

from knowledge.answers import decline
from knowledge.answers.answer import Answerer
from knowledge.answers.decline import gather_evidence
from knowledge.answers.evaluation import evaluate_declines, load_questions
from knowledge.answers.generate import load_generator
from knowledge.models import Evidence
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings
from tests.tiny_model import build_tiny_hub

REPO = Path(__file__).resolve().parents[2]
FEATURES = ("similarity", "sentence", "coverage", "known")
THRESHOLDS = (0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50)
DEFAULT_THRESHOLD = Settings.model_fields["decline_threshold"].default


def evidence(kb: KnowledgeBase, questions: Path) -> list[Evidence]:
    top_k = kb.settings.answer_sources
    vocabulary = kb.vocabulary()
    return [
        gather_evidence(q.question, q.question, kb.search(q.question, top_k=top_k), vocabulary)
        for q in load_questions(questions)
    ]


def print_declines(name: str, inside: list[Evidence], outside: list[Evidence], threshold: float):
    print(f"{name:9} answerable {len(inside):3}  out of scope {len(outside):2}")
    for row in evaluate_declines(inside, outside, threshold):
        print(
            f"{'':9} {row.signal:27} AUC {row.auc:.3f}  below {row.threshold:.3f}: declined "
            f"{row.declined:4.0%} of out-of-scope, {row.wrongly_declined:4.0%} of answerable"
        )


def fit(sets: dict[str, tuple[list[Evidence], list[Evidence]]]) -> None:
    """Logistic weights on all sets pooled, each set (and each side of it) weighing the same, so
    the largest set doesn't decide alone; strongly regularised (C=0.1), as three sets are few.
    Then each set scored by weights fitted on the other sets only."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def model(names: list[str]) -> tuple[float, ...]:
        x, y, weight = [], [], []
        for name in names:
            for label, group in enumerate(reversed(sets[name])):  # out of scope 0, answerable 1
                kept = [e for e in group if not e.injection]
                x += [[getattr(e, f) for f in FEATURES] for e in kept]
                y += [label] * len(kept)
                weight += [1 / len(kept)] * len(kept)
        fitted = LogisticRegression(C=0.1, max_iter=2000).fit(
            np.array(x), np.array(y), sample_weight=np.array(weight) * len(weight)
        )
        return (float(fitted.intercept_[0]), *map(float, fitted.coef_[0]))

    pooled = model(list(sets))
    print(
        "\n== fitted on all sets pooled: WEIGHTS = (" + ", ".join(f"{w:.2f}" for w in pooled) + ")"
    )
    print(f"{'threshold':>10} " + " ".join(f"{name:>18}" for name in sets))
    with patched_weights(pooled):
        for threshold in THRESHOLDS:
            cells = []
            for inside, outside in sets.values():
                row = evaluate_declines(inside, outside, threshold)[-1]
                cells.append(f"{row.declined:4.0%} / {row.wrongly_declined:3.0%} wrong")
            print(f"{threshold:10.2f} " + " ".join(f"{c:>18}" for c in cells))
    print("== each set scored by weights fitted on the other sets only ==")
    for name, (inside, outside) in sets.items():
        with patched_weights(model([n for n in sets if n != name])):
            print_declines(name, inside, outside, DEFAULT_THRESHOLD)


@contextmanager
def patched_weights(weights: tuple[float, ...]) -> Iterator[None]:
    saved = decline.WEIGHTS
    decline.WEIGHTS = tuple(float(w) for w in weights)  # type: ignore[assignment]
    try:
        yield
    finally:
        decline.WEIGHTS = saved


def timing(label: str, settings: Settings, kb: KnowledgeBase, questions: list[str]) -> None:
    started = time.perf_counter()
    generator = load_generator(settings)
    load_s = time.perf_counter() - started
    answerer = Answerer(kb, generator, settings)
    rows = []
    for q in questions:
        started = time.perf_counter()
        answer = answerer.answer(q)
        wall = (time.perf_counter() - started) * 1000
        t = answer.timings
        rows.append((t.retrieve_ms, t.generate_ms, wall - t.retrieve_ms - t.generate_ms, wall))
    first = (load_s * 1000 + rows[0][3]) / 1000
    med = [statistics.median(r[i] for r in rows[1:]) for i in range(4)]
    print(
        f"{label:26} {med[0]:9.0f} {med[1]:9.0f} {med[2]:7.1f} {med[3]:8.0f}"
        f"   first {first:5.2f} s (load {load_s:4.2f} s) / second {rows[1][3] / 1000:5.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--fit", action="store_true", help="fit the decline weights too")
    parser.add_argument("--no-timing", action="store_true", help="declines only")
    args = parser.parse_args()
    print("== declines: answerable vs out of scope, per signal ==")
    sets = [
        (
            "sample",
            REPO / "samples" / "orbit-help",
            REPO / "benchmarks" / "questions" / "orbit_questions.jsonl",
            REPO / "benchmarks" / "questions" / "orbit_out_of_scope.jsonl",
        )
    ]
    for name in ("coda", "obsidian"):
        folder = args.bench / name
        if folder.is_dir():
            sets.append(
                (name, folder / "docs", folder / "questions.jsonl", folder / "out_of_scope.jsonl")
            )
    sample_kb = None
    found: dict[str, tuple[list[Evidence], list[Evidence]]] = {}
    for name, docs, answerable, out_of_scope in sets:
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=REPO / "data" / "bench" / name))
        kb.ingest([docs])
        found[name] = (evidence(kb, answerable), evidence(kb, out_of_scope))
        print_declines(name, *found[name], kb.settings.decline_threshold)
        if name == "sample":
            sample_kb = kb
        else:
            kb.close()
    if args.fit:
        fit(found)
    if sample_kb is None:
        raise SystemExit("the sample docs were not found")
    if args.no_timing:
        sample_kb.close()
        return
    questions = [q.question for q in load_questions(sets[0][2])][:8]
    print("\n== time per question on the sample docs, ms (median of questions 2..8) ==")
    print(f"{'backend':26} {'retrieve':>9} {'generate':>9} {'other':>7} {'total':>8}")
    data_dir = sample_kb.settings.data_dir
    timing(
        "extractive",
        Settings(_env_file=None, data_dir=data_dir, generator="extractive"),
        sample_kb,
        questions,
    )
    with tempfile.TemporaryDirectory() as tmp:
        corpus = [p.read_text(encoding="utf-8") for p in sorted((REPO / "samples").rglob("*.md"))]
        hub = build_tiny_hub(Path(tmp), corpus)
        tiny = Settings(
            _env_file=None,
            data_dir=data_dir,
            base_model=hub.base_repo,
            adapter_model=hub.adapter_repo,
            hf_offline=True,
            hf_cache_dir=hub.cache_dir,
            max_new_tokens=100,
        )
        timing("tiny Llama + LoRA (hub)", tiny, sample_kb, questions)
    sample_kb.close()


if __name__ == "__main__":
    main()
