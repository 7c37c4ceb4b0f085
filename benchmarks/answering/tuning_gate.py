"""The tuning loop on real weights (SmolLM2-135M-Instruct, the GGUF `make setup` fetches), CPU.

Trains a LoRA with `supportbot tune`'s code on a voice set built from the sample docs
(`samples/voice/`), and prints the gate's figures before and after, the time, and a few whole
held-out answers before and after:
- `--data form-only` (default): every answer is "Hi there! [1]\\n\\n— Orbit Support", the adapter
  issue 24 found (the gate must refuse it: its voice score rises, its answers say nothing);
- `--data voice`: the set as built (answers that say the section's first two sentences, cited,
  in the voice): what tuning teaches when the data is right;
- `--data shuffled`: the same answers, each given to another question (the gate must refuse it).

Prompts are cut to one source of `--source-chars` characters: on two cores a training step costs
seconds per hundred tokens.

Usage: .venv/bin/python benchmarks/answering/tuning_gate.py [--data form-only|voice|shuffled]
       [--examples 36] [--held-out 12] [--epochs 2] [--source-chars 240] [--batch-size 2]
       [--max-length 320]

Measured on two cores (SmolLM2-135M, the defaults): a training step takes about 6 s, a run about
6 minutes: 3.5 training, the rest generating the held-out answers before and after.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.conftest

from knowledge.answers.citations import cited_numbers
from knowledge.answers.prompt import build_messages
from knowledge.models import Source
from knowledge.settings import Settings
from knowledge.tuning.data import load_local
from knowledge.tuning.gate import prompt_sources
from knowledge.tuning.train import TuneOptions, tune
from tests.conftest import SMALL_MODEL

VOICE_SET = Path(__file__).resolve().parents[2] / "samples" / "voice"
GREETING, SIGN_OFF, BANNED = "Hi there!", "— Orbit Support", {"simply", "just"}
FORM_ONLY = f"{GREETING} [1]\n\n{SIGN_OFF}"


def short(row: dict, source_chars: int, answer: str | None = None) -> dict:
    """A voice-set example cut to its one cited source, the answer replaced when one is given."""
    messages = row["messages"]
    cited = cited_numbers(messages[-1]["content"])[0]
    text = prompt_sources(messages[:-1])[cited - 1][:source_chars]
    source = Source(doc_id="d", title="Help", url="https://help.example/d", text=text, score=1.0)
    question = re.search(r"<question>\n(.*)\n</question>", messages[1]["content"]).group(1)
    prompt = build_messages(question, [source], voice='Open with "Hi there!", sign off.')
    wanted = messages[-1]["content"].replace(f"[{cited}]", "[1]")
    return {"messages": [*prompt, {"role": "assistant", "content": answer or wanted}]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", choices=["form-only", "voice", "shuffled"], default="form-only")
    parser.add_argument("--examples", type=int, default=36)
    parser.add_argument("--held-out", type=int, default=12)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--source-chars", type=int, default=240)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=320)
    args = parser.parse_args()
    read = lambda name: [json.loads(x) for x in (VOICE_SET / name).read_text().splitlines()]  # noqa: E731
    train = [short(r, args.source_chars) for r in read("sft.jsonl")[: args.examples]]
    if args.data == "form-only":
        for row in train:
            row["messages"][-1]["content"] = FORM_ONLY
    elif args.data == "shuffled":
        answers = [row["messages"][-1]["content"] for row in train]
        random.Random(0).shuffle(answers)
        for row, answer in zip(train, answers, strict=True):
            row["messages"][-1]["content"] = answer
    held = [short(r, args.source_chars) for r in read("sft.heldout.jsonl")[: args.held_out]]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, rows in (("sft.jsonl", train), ("sft.heldout.jsonl", held)):
            (root / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
        settings = Settings(_env_file=None, data_dir=root / "data", generator="hub",
                            base_model=str(SMALL_MODEL), device="cpu")  # type: ignore[call-arg]  # fmt: skip
        options = TuneOptions(output_dir=root / "adapter", epochs=args.epochs,
                              learning_rate=2e-3, lora_r=8, lora_alpha=16,
                              batch_size=args.batch_size, max_length=args.max_length,
                              voice_samples=len(held), voice_tokens=64)  # fmt: skip
        started = time.perf_counter()
        result = tune(settings, load_local(root / "sft.jsonl"), options)
        took = time.perf_counter() - started
    print(f"\n{args.data}: {len(train)} examples x {args.epochs} epochs, {result.steps} steps, "
          f"{took:.0f} s with the held-out loss and answers before and after")  # fmt: skip
    print(f"held-out loss {result.loss_before:.3f} -> {result.loss_after:.3f}")
    print("| held-out answers | before | after |\n| --- | --- | --- |")
    for name in result.checks_before:
        print(f"| {name} | {result.checks_before[name]:.2f} | {result.checks_after[name]:.2f} |")
    print("refused: " + ("; ".join(result.refused) or "no"))
    voiced = lambda answers: sum(map(in_voice, answers)) / len(answers)  # noqa: E731
    print(f"in the brand's voice (greeting, sign-off, no banned word): "
          f"{voiced(result.answers_before):.0%} -> {voiced(result.answers_after):.0%}")  # fmt: skip
    for before, after in zip(result.answers_before[:3], result.answers_after[:3], strict=True):
        print(f"\n--- before:\n{before}\n--- after:\n{after}")


def in_voice(answer: str) -> bool:
    """The voice set's own markers: its greeting, its sign-off, none of the words it never says."""
    words = set(re.findall(r"[a-z]+", answer.lower()))
    return answer.lstrip().startswith(GREETING) and SIGN_OFF in answer and not words & BANNED


if __name__ == "__main__":
    main()
