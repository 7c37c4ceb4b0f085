"""llama.cpp beside torch on this CPU, on the same prompt (issue 13, item 5).

The default model's shape (Qwen2.5-0.5B, random weights: speed needs the shape, not the weights)
is saved as a transformers folder with a tokenizer trained on the sample help center, converted to
GGUF by llama.cpp's own `convert_hf_to_gguf.py` (f32, then q8_0 and q4_k_m), and the same prompt
of token ids runs through torch (float32, as `HubGenerator` runs it) and through
llama-cpp-python: prefill seconds, seconds per new token (greedy), and how far each GGUF's output
is from torch's: the first token's logits (relative error, top-1 agreement) and how many of the
greedy tokens are the same.

Needs llama-cpp-python, which builds from source here (~6 min on two cores). Build it without
AMX: on this machine a native build crashed (SIGSEGV) on every quantized file, in AMX int8 code:
`CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON
-DGGML_AVX512_VNNI=ON -DGGML_AMX_INT8=OFF" pip install llama-cpp-python`. The converter comes from
the same version's source archive: `pip download --no-binary :all: --no-deps llama-cpp-python`,
then `tar xzf` it and pass its `vendor/llama.cpp`.

Usage: .venv/bin/python benchmarks/answering/llama_vs_torch.py \
       --convert llama_cpp_python-X/vendor/llama.cpp [--prompt-tokens 790] [--new-tokens 32]
       [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.tiny_model
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for generation.build

import numpy as np
import torch
from generation import build

from tests.conftest import SAMPLE_DOCS
from tests.tiny_model import build_tokenizer

#: Runs the converter with our tokenizer accepted: it knows real models' pre-tokenizers by hash,
#: and a tokenizer trained on the spot has none of them (Qwen2's is byte-level BPE, like ours).
CONVERT = """
import sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/gguf-py")
import conversion.base, conversion.qwen
import convert_hf_to_gguf as convert
conversion.base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "qwen2"
conversion.qwen.Qwen2Model.set_vocab = lambda self: self._set_vocab_gpt2()  # no sentencepiece
sys.argv = ["convert_hf_to_gguf.py", *sys.argv[2:]]
convert.main()
"""


def save_model(folder: Path) -> torch.nn.Module:
    corpus = [p.read_text(errors="ignore") for p in SAMPLE_DOCS.rglob("*.md")]
    model = build("qwen2.5-0.5b", "cpu", torch.float32)
    tokenizer = build_tokenizer(corpus)
    model.config.bos_token_id = tokenizer.bos_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model


def to_gguf(llama_cpp_src: Path, folder: Path, outtype: str) -> Path:
    out = folder.parent / f"model-{outtype}.gguf"
    done = subprocess.run(
        [sys.executable, "-c", CONVERT, str(llama_cpp_src), str(folder),
         "--outtype", outtype, "--outfile", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"convert_hf_to_gguf.py failed:\n{done.stderr[-3000:]}")
    return out


def quantize(source: Path, kind: str) -> Path:
    import llama_cpp

    types = {"q4_k_m": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M}
    out = source.with_name(f"model-{kind}.gguf")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = types[kind]
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(out).encode(), params)
    if code != 0:
        raise RuntimeError(f"quantize to {kind} failed ({code})")
    return out


def run_torch(model, prompt: list[int], new: int) -> tuple[float, float, np.ndarray, list[int]]:
    """(prefill s, s per new token, first logits, greedy tokens)."""
    with torch.inference_mode():
        started = time.perf_counter()
        out = model(input_ids=torch.tensor([prompt]), use_cache=True)
        prefill = time.perf_counter() - started
        first = out.logits[0, -1].float().numpy().copy()
        tokens = [int(first.argmax())]
        past = out.past_key_values
        started = time.perf_counter()
        for _ in range(new - 1):
            out = model(
                input_ids=torch.tensor([[tokens[-1]]]), past_key_values=past, use_cache=True
            )
            past = out.past_key_values
            tokens.append(int(out.logits[0, -1].argmax()))
        step = (time.perf_counter() - started) / max(new - 1, 1)
    return prefill, step, first, tokens


#: One llama.cpp run, in a process of its own: llama.cpp's OpenMP and torch's don't share one.
LLAMA_RUN = """
import json, sys, time
import numpy as np
from llama_cpp import Llama

path, prompt_file, new, threads, out = sys.argv[1:]
prompt, new, threads = json.loads(open(prompt_file).read()), int(new), int(threads)
llm = Llama(model_path=path, n_ctx=len(prompt) + new + 8, n_batch=512,
            n_threads=threads, n_threads_batch=threads, verbose=False)

def last_logits():  # kept without logits_all, which would keep every position's
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()

started = time.perf_counter()
llm.eval(prompt)
prefill = time.perf_counter() - started
first = last_logits()
tokens = [int(first.argmax())]
started = time.perf_counter()
for _ in range(new - 1):
    llm.eval([tokens[-1]])
    tokens.append(int(last_logits().argmax()))
step = (time.perf_counter() - started) / max(new - 1, 1)
np.save(out, first)
print(json.dumps({"prefill": prefill, "step": step, "tokens": tokens}))
"""


def run_llama(path: Path, prompt: list[int], new: int, threads: int):
    """The same as `run_torch`, through llama-cpp-python."""
    prompt_file, logits = path.with_suffix(".prompt.json"), path.with_suffix(".logits.npy")
    prompt_file.write_text(json.dumps(prompt))
    done = subprocess.run(
        [sys.executable, "-c", LLAMA_RUN, str(path), str(prompt_file), str(new), str(threads),
         str(logits)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"llama.cpp run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["prefill"], result["step"], np.load(logits), result["tokens"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--convert", type=Path, required=True, help="llama.cpp source folder")
    parser.add_argument("--prompt-tokens", type=int, default=790)  # the default prompt's size
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(dir=os.environ.get("KEEP_DIR")) as root:
        folder = Path(root) / "hf"
        model = save_model(folder)
        prompt = np.random.default_rng(1).integers(10, 590, args.prompt_tokens).tolist()
        f32 = to_gguf(args.convert, folder, "f32")
        files = {"f32": f32, "q8_0": to_gguf(args.convert, folder, "q8_0"),
                 "q4_k_m": quantize(f32, "q4_k_m")}  # fmt: skip
        sizes = {name: path.stat().st_size / 1e6 for name, path in files.items()}
        run_torch(model, prompt[:16], 2)  # warm-up
        base = run_torch(model, prompt, args.new_tokens)
        rows = {name: run_llama(path, prompt, args.new_tokens, args.threads)
                for name, path in files.items()}  # fmt: skip
    print(
        f"Qwen2.5-0.5B shape (random weights), {args.prompt_tokens}-token prompt, "
        f"{args.new_tokens} new tokens (greedy), {args.threads} threads, CPU"
    )
    print(
        "| engine | file MB | prefill s | s per new token | first logits rel. error "
        "| same first token | same greedy tokens |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(f"| torch float32 | - | {base[0]:.2f} | {base[1]:.3f} | - | - | - |")
    for name, (prefill, step, first, tokens) in rows.items():
        error = float(np.abs(first - base[2]).max() / np.abs(base[2]).max())
        pairs = enumerate(zip(tokens, base[3], strict=True))
        same = next((i for i, (a, b) in pairs if a != b), len(tokens))
        print(
            f"| llama.cpp {name} | {sizes[name]:.0f} | {prefill:.2f} | {step:.3f} "
            f"| {error:.4f} | {tokens[0] == base[3][0]} | first {same} of {len(tokens)} |"
        )
    ratios = [f"{n} x{base[0] / r[0]:.1f} / x{base[1] / r[1]:.1f}" for n, r in rows.items()]
    print("speed-up over torch (prefill / per token): " + ", ".join(ratios))


if __name__ == "__main__":
    main()
