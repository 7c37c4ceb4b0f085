"""Generation throughput: one question at a time behind a lock (how the worker ran the model)
against the batcher (knowledge/answers/generate/batching.py), at 1, 8 and 32 concurrent questions
(issue 13, item 2).

The model has the real shape of the default (Qwen2.5-0.5B-Instruct) with random weights, built
from its config on the spot: timing needs the shape, not the weights, and nothing is downloaded.
Prompts are random token ids of the project's prompt size (~2,000 tokens, lengths varied by 10%
so the batch is padded). Prints answers/s and p50/p95 latency per path and concurrency.

Usage (a GPU):  python3 benchmarks/answering/generation.py --device cuda --new-tokens 64
       (CPU):   .venv/bin/python benchmarks/answering/generation.py --device cpu \\
                    --prompt-tokens 400 --new-tokens 16 --concurrency 1,4
Runs with only torch and transformers installed (as on a bare GPU machine): the batcher module
is loaded by its path, not through the package (whose settings need pydantic).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

HERE = Path(__file__).resolve().parent
SHAPES = {  # the published configs' sizes
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2),
    "qwen2.5-1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                         num_attention_heads=12, num_key_value_heads=2),
}  # fmt: skip


def load_batching():
    path = HERE.parents[1] / "knowledge" / "answers" / "generate" / "batching.py"
    spec = importlib.util.spec_from_file_location("batching", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["batching"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def build(shape: str, device: str, dtype: torch.dtype) -> Qwen2ForCausalLM:
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=151_936, max_position_embeddings=32_768,
                         tie_word_embeddings=True, **SHAPES[shape])  # fmt: skip
    model = Qwen2ForCausalLM(config).to(device=device, dtype=dtype).eval()
    model.generation_config.eos_token_id = None  # random weights: run every answer to full length
    return model


def prompts(count: int, length: int, vocab: int) -> list[list[int]]:
    g = torch.Generator().manual_seed(1)
    sizes = torch.randint(int(length * 0.9), int(length * 1.1) + 1, (count,), generator=g)
    return [torch.randint(100, vocab - 100, (int(n),), generator=g).tolist() for n in sizes]


def locked(model, new_tokens: int):
    lock = threading.Lock()

    def answer(prompt: list[int]) -> None:
        ids = torch.tensor([prompt], device=model.device)
        with lock, torch.inference_mode():
            model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                           max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                           do_sample=False, pad_token_id=0)  # fmt: skip

    return answer


def run(answer, batch: list[list[int]]) -> tuple[float, list[float]]:
    latencies: list[float] = []

    def timed(prompt: list[int]) -> None:
        started = time.perf_counter()
        answer(prompt)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(batch)) as pool:
        list(pool.map(timed, batch))
    return time.perf_counter() - started, sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-0.5b")
    parser.add_argument("--prompt-tokens", type=int, default=2000)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    model = build(args.shape, args.device, dtype)
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(f"{args.shape} ({dtype}) on {name}; prompt ~{args.prompt_tokens} tokens, "
          f"{args.new_tokens} new tokens per answer")  # fmt: skip
    batching = load_batching()
    batcher = batching.Batcher(model, pad=0, stop=set(), max_batch=64, window_s=0.01)
    lock = locked(model, args.new_tokens)

    def batched(prompt: list[int]) -> None:
        batcher.generate(prompt, args.new_tokens)

    run(lock, prompts(1, 64, model.config.vocab_size))  # warm-up: kernels, allocator
    print(f"{'path':>8} {'questions':>9} {'wall s':>8} {'answers/s':>10} {'p50 s':>7} {'p95 s':>7}")
    for n in (int(c) for c in args.concurrency.split(",")):
        batch = prompts(n, args.prompt_tokens, model.config.vocab_size)
        for label, answer in (("lock", lock), ("batched", batched)):
            wall, lat = run(answer, batch)
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            print(f"{label:>8} {n:9d} {wall:8.2f} {n / wall:10.2f} "
                  f"{statistics.median(lat):7.2f} {p95:7.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
