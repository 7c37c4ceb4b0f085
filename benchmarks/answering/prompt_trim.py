"""How much of the prompt the answers need: sources × characters per source against what the
prompt still holds of each reference answer (issue 13, item 5).

No model is needed to know what a shorter prompt loses: for every answerable question of a bench
set, the sources are retrieved as the bot retrieves them and cut as `build_messages` cuts them,
and the table gives
- **right page**: the share of questions whose prompt holds a page listed as a source;
- **answer words**: the share of the reference answer's content words (stems, stop words out) that
  appear in the prompt's sources, averaged over the questions: a lexical "context recall";
- **chars**: the mean length of the sources block, to set against prefill time
  (`benchmarks/answering/prompt_cost.py`: ~7 ms a token on this CPU for the default model; ~4
  chars a token).

Usage: .venv/bin/python benchmarks/answering/prompt_trim.py [--sets coda,obsidian]
       [--sources 1,2,3,4,6] [--chars 400,800,1200,1600,2400]
       (indexes: data/bench/<set>, made by benchmarks/answering/answers.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from knowledge.answers.evaluation import load_questions, matches
from knowledge.answers.prompt import format_sources
from knowledge.search.base import KnowledgeBase
from knowledge.search.terms import terms
from knowledge.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def figures(
    found, gold: list[str], answer: str, sources: int, chars: int
) -> tuple[bool, float, int]:
    """(a right page is in the prompt, share of the answer's words in it, sources block length)."""
    shown = found[:sources]
    block = format_sources(shown, chars)
    wanted = set(terms(answer))
    held = set(terms(block))
    right = any(matches(source, g) for source in shown for g in gold)
    return right, len(wanted & held) / max(len(wanted), 1), len(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="coda,obsidian")
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--sources", default="1,2,3,4,6")
    parser.add_argument("--chars", default="400,800,1200,1600,2400")
    args = parser.parse_args()
    counts = [int(n) for n in args.sources.split(",")]
    caps = [int(n) for n in args.chars.split(",")]
    defaults = Settings(_env_file=None)
    print(f"defaults: {defaults.answer_sources} sources × {defaults.max_source_chars} chars")
    for name in args.sets.split(","):
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=REPO / "data" / "bench" / name))
        asked = load_questions(args.bench / name / "questions.jsonl")
        questions = [q for q in asked if q.source and q.answer]
        found = [kb.search(q.question, top_k=max(counts)) for q in questions]
        kb.close()
        print(f"\n{name}: {len(questions)} answerable questions")
        print("| sources | max chars each | right page | answer words | chars |")
        print("| --- | --- | --- | --- | --- |")
        for sources in counts:
            for chars in caps:
                rows = [figures(f, q.source, q.answer, sources, chars)
                        for f, q in zip(found, questions, strict=True)]  # fmt: skip
                right = sum(r for r, _, _ in rows) / len(rows)
                recall = statistics.mean(w for _, w, _ in rows)
                length = statistics.mean(n for _, _, n in rows)
                print(f"| {sources} | {chars} | {right:.0%} | {recall:.1%} | {length:,.0f} |")


if __name__ == "__main__":
    main()
