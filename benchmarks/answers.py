"""Answer figures, printed in one run (issue: answers).

1. Declines: the best-source similarity of answerable vs out-of-scope questions on
   ../shared/bench (coda, obsidian) and on the sample docs with questions written for them
   (benchmarks/questions/); ROC AUC, and the share of out-of-scope questions declined (correct)
   and of answerable ones declined (wrong) per threshold, the configured one marked.
2. Time per question, split into retrieve / generate / everything else, for each backend that runs
   here (the tiny Hub-path model, extractive), and the first question (model load included) vs the
   second.

Usage: .venv/bin/python benchmarks/answers.py [--bench ../shared/bench]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.tiny_model

from knowledge.answer import Answerer
from knowledge.base import KnowledgeBase
from knowledge.decline import best_similarity
from knowledge.evaluation import load_questions
from knowledge.generate import load_generator
from knowledge.settings import Settings
from tests.tiny_model import build_tiny_hub

REPO = Path(__file__).resolve().parent.parent
THRESHOLDS = [0.30, 0.35, 0.40, 0.45, 0.50, 0.55]


def auc(positives: list[float], negatives: list[float]) -> float:
    """P(score of a random answerable question > that of a random out-of-scope one)."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def similarities(kb: KnowledgeBase, questions: list[str], top_k: int) -> list[float]:
    return [best_similarity(kb.search(q, top_k=top_k)) or 0.0 for q in questions]


def declines(name: str, kb: KnowledgeBase, answerable: Path, out_of_scope: Path) -> None:
    settings = kb.settings
    inside = similarities(
        kb, [q.question for q in load_questions(answerable)], settings.answer_sources
    )
    outside = similarities(
        kb, [q.question for q in load_questions(out_of_scope)], settings.answer_sources
    )
    print(
        f"{name:9} answerable {len(inside):3}  out of scope {len(outside):2}  "
        f"AUC {auc(inside, outside):.3f}"
    )
    for threshold in sorted({*THRESHOLDS, settings.decline_threshold}):
        right = sum(s < threshold for s in outside) / len(outside)
        wrong = sum(s < threshold for s in inside) / len(inside)
        mark = "  <- configured" if threshold == settings.decline_threshold else ""
        print(
            f"{'':9} threshold {threshold:.2f}: declined {right:4.0%} of out-of-scope, "
            f"{wrong:4.0%} of answerable{mark}"
        )


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
    args = parser.parse_args()
    print("== declines: best-source similarity, answerable vs out of scope ==")
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
    for name, docs, answerable, out_of_scope in sets:
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=REPO / "data" / "bench" / name))
        kb.ingest([docs])
        declines(name, kb, answerable, out_of_scope)
        if name == "sample":
            sample_kb = kb
        else:
            kb.close()
    if sample_kb is None:
        raise SystemExit("the sample docs were not found")
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
