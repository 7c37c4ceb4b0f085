"""What the prompt costs: sources x characters per source against the model's prefill time
(issue 13, item 5).

1. Real prompts: the sample help center is indexed and, for each of its benchmark questions, the
   prompt is built as the bot builds it (`build_messages`) with 1 to 6 sources of at most 400 to
   2,000 characters each; the table gives the prompt's mean length in characters.
2. Its cost: the default model's shape (Qwen2.5-0.5B, random weights built from its config: time
   needs the shape, not the weights) runs one forward pass over that many tokens, at ~4
   characters per token (Qwen's tokenizer on English help text), on this machine's CPU; and the
   time per generated token after such a prompt, for comparison.

Usage: .venv/bin/python benchmarks/answering/prompt_cost.py [--sources 1,2,4,6]
       [--chars 400,800,1200,2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.conftest
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for generation.build

import torch
from generation import build

from knowledge.answers.prompt import build_messages, load_voice
from knowledge.search.base import KnowledgeBase
from tests.conftest import SAMPLE_DOCS, make_settings

HERE = Path(__file__).resolve().parent
CHARS_PER_TOKEN = 4.0


def prompt_chars(kb: KnowledgeBase, questions: list[str], sources: int, max_chars: int) -> float:
    """The mean length of the whole prompt (system, sources, question) in characters."""
    voice = load_voice(None)
    sizes = []
    for question in questions:
        found = kb.search(question, top_k=sources)
        messages = build_messages(question, found, voice=voice, max_source_chars=max_chars)
        sizes.append(sum(len(m["content"]) for m in messages))
    return statistics.mean(sizes)


def timed(model: torch.nn.Module, tokens: int, repeat: int = 3) -> tuple[float, float]:
    """(prefill s, s per generated token after it): the median of `repeat` runs."""
    ids = torch.randint(100, model.config.vocab_size - 100, (1, tokens))
    prefill, step = [], []
    with torch.inference_mode():
        for _ in range(repeat):
            started = time.perf_counter()
            out = model(input_ids=ids, use_cache=True)
            prefill.append(time.perf_counter() - started)
            following = out.logits[:, -1:].argmax(-1)
            started = time.perf_counter()
            model(input_ids=following, past_key_values=out.past_key_values, use_cache=True)
            step.append(time.perf_counter() - started)
    return statistics.median(prefill), statistics.median(step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="1,2,4,6")
    parser.add_argument("--chars", default="400,800,1200,2000")
    options = parser.parse_args()
    questions = [json.loads(line)["question"] for line in
                 (HERE.parent / "questions" / "orbit_questions.jsonl").read_text().splitlines()
                 if line.strip()][:30]  # fmt: skip
    with tempfile.TemporaryDirectory() as root:
        kb = KnowledgeBase(make_settings(Path(root)))
        kb.ingest([SAMPLE_DOCS], base_url="https://help.orbit.example")
        lengths = {(s, c): prompt_chars(kb, questions, s, c)
                   for s in map(int, options.sources.split(","))
                   for c in map(int, options.chars.split(","))}  # fmt: skip
        kb.close()
    model = build("qwen2.5-0.5b", "cpu", torch.float32)
    timed(model, 64, repeat=1)  # warm-up
    print(f"Qwen2.5-0.5B shape, float32, CPU ({os.cpu_count()} cores), {torch.get_num_threads()} "
          f"threads; {len(questions)} questions of the sample help center")  # fmt: skip
    print("| sources | max chars each | prompt chars | ~tokens | prefill s | s per new token |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (sources, chars), length in lengths.items():
        tokens = round(length / CHARS_PER_TOKEN)
        prefill, step = timed(model, tokens)
        print(f"| {sources} | {chars} | {length:,.0f} | {tokens:,} | {prefill:.2f} | {step:.3f} |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
