"""Declines with a reader (issue 24, item 5): what a real small model adds to the answerability
score when it is asked "do these sources answer the question?".

Reads the answers `supportbot eval answers --json FILE` saved (each with its retrieved sources and
answerability), asks the small model once per question with the same sources, and scores its
reply by the first token: log P("Yes") - log P("No"). Prints, per file:
- the reader's AUC (answerable vs out of scope) beside the answerability score's;
- what the model's own answers did: NOT_IN_DOCS replies, and answers quoted because nothing the
  model wrote held up (a reader signal for free), per kind of question;
- declines with the configured threshold alone and with the reader added at the strictest
  threshold that declines at most 5% of the answerable questions (fitted on the file itself, so
  an upper bound on what it adds);
- the reader's cost per question.

Usage: .venv/bin/python benchmarks/answering/reader_declines.py coda.json [obsidian.json ...]
       [--model models/SmolLM2-135M-Instruct.Q4_1.gguf] [--source-chars 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.conftest

from knowledge.answers.evaluation import auc, strictest_threshold
from knowledge.answers.generate.hub import base_folder
from knowledge.answers.prompt import NOT_IN_DOCS
from knowledge.settings import Settings
from tests.conftest import SMALL_MODEL

ASK = (
    "Read the sources, then the question. Reply with one word: Yes if the sources answer the "
    "question, No if they do not."
)


def reader(model_path: str):  # -> Callable[[str, list[str]], float]
    """The small model as a yes/no reader: a score per (question, source texts)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    settings = Settings(_env_file=None, generator="hub", base_model=model_path, device="cpu")  # type: ignore[call-arg]
    folder = base_folder(settings)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    yes, no = (tokenizer.encode(w, add_special_tokens=False)[0] for w in ("Yes", "No"))

    def score(question: str, sources: list[str]) -> float:
        numbered = "\n\n".join(f"[{n}] {text}" for n, text in enumerate(sources, 1))
        messages = [
            {"role": "system", "content": ASK},
            {"role": "user", "content": f"Sources:\n{numbered}\n\nQuestion: {question}"},
        ]
        ids = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.inference_mode():
            logits = model(**ids).logits[0, -1].log_softmax(-1)
        return float(logits[yes] - logits[no])

    return score


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", default=str(SMALL_MODEL))
    parser.add_argument("--source-chars", type=int, default=1500)
    args = parser.parse_args()
    threshold = Settings(_env_file=None).decline_threshold  # type: ignore[call-arg]
    score = reader(args.model)
    for path in args.files:
        report = json.loads(path.read_text())
        answers, inside = report["answers"], report["answerable"]
        kinds = ["answerable"] * inside + ["out of scope"] * (len(answers) - inside)
        took, scores = [], []
        for answer in answers:
            started = time.perf_counter()
            texts = [s["text"][: args.source_chars] for s in answer["retrieved"]]
            scores.append(score(answer["question"], texts))
            took.append(time.perf_counter() - started)
        able = [a["answerability"] or 0.0 for a in answers]

        def split(values: list, inside: int = inside) -> tuple[list, list]:
            return values[:inside], values[inside:]

        print(f"\n{path.name}: {inside} answerable, {len(answers) - inside} out of scope")
        print(f"AUC: answerability {auc(*split(able)):.3f}, reader {auc(*split(scores)):.3f}")
        for kind in ("answerable", "out of scope"):
            mine = [a for a, k in zip(answers, kinds, strict=True) if k == kind]
            said_not = sum(a["declined"] and (a["answerability"] or 0) >= threshold for a in mine)
            quoted = sum(bool((a.get("grounding") or {}).get("quoted_because")) for a in mine)
            print(f"  {kind}: the model said {NOT_IN_DOCS} {said_not}/{len(mine)}, "
                  f"nothing it wrote held up {quoted}/{len(mine)}")  # fmt: skip
        passed = [i for i, a in enumerate(able) if a >= threshold]
        cut = strictest_threshold([scores[i] for i in passed if i < inside], 0.05)
        with_reader = [a < threshold or s < cut for a, s in zip(able, scores, strict=True)]
        for name, declined in (
            ("threshold alone", [a < threshold for a in able]),
            ("threshold + reader", with_reader),
        ):
            wrong, right = split(declined)
            print(f"  {name}: out of scope declined {sum(right) / len(right):.0%}, "
                  f"answerable declined {sum(wrong) / len(wrong):.0%}")  # fmt: skip
        sources = len(answers[0]["retrieved"])
        print(f"  reader cost: p50 {statistics.median(took):.2f} s per question (one forward "
              f"pass over {sources} sources of <= {args.source_chars} chars)")  # fmt: skip


if __name__ == "__main__":
    main()
