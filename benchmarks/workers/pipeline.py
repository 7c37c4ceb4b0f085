"""Answers/s and latency through real workers: one worker that retrieves and generates (how the
bot ran before issue 13, item 1) against retrieval and generation in separate workers, with 1
and 2 generation workers, at 1, 8 and 32 questions asked at once (issue 13).

Everything is real but the model's weights: Redis on localhost, the knowledge worker owning a
Milvus Lite index of the sample help center, the records in SQLite. Two backends:

- `hub`: the default model's shape with random weights, built on the spot (see `build_model`),
  run by the workers exactly as the default model is (the batcher, up to `--generate-threads`
  questions per batch; before, the knowledge worker's 4 threads);
- `hosted`: an OpenAI-compatible stand-in that answers each request after `--hosted-s` seconds,
  any number at once (as vLLM or TGI would, batching continuously).

"before" runs the workers of an older checkout (`--before`, a git revision; a worktree is made
in a temporary folder) against the same broker, index and questions, in this same run.
Latency is from asking to the answer being recorded. Prints one table per backend.

Usage: .venv/bin/python benchmarks/workers/pipeline.py [--before d97c5fe] [--backends hub,hosted]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from knowledge.answers.evaluation import percentile
from knowledge.models import Question
from knowledge.search.base import KnowledgeBase
from tests.conftest import SAMPLE_DOCS, make_settings
from tests.support.chat_api import send_completion, serve
from tests.support.processes import Worker, client_app, settings_from
from tests.tiny_model import build_tokenizer
from workers import names
from workers.settings import WorkerSettings

REPO = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/7"
QUESTIONS = [
    "i forgot my password and the reset email never came",
    "how much is the team plan per seat?",
    "what happens when we hit the API rate limit",
    "how do webhooks retry?",
    "can I export my data to csv?",
    "how do we set up SAML single sign-on with okta?",
    "can I get a refund on a yearly plan?",
    "how do I invite people to my workspace?",
]


class FixedLatencyModel(BaseHTTPRequestHandler):
    """A served model that takes `seconds` per answer, however many it is answering."""

    seconds: ClassVar[float] = 1.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(type(self).seconds)
        send_completion(self, "Open Settings, then Billing [1].")

    def log_message(self, *args: object) -> None:
        pass


def build_model(folder: Path) -> None:
    """The default model's shape (Qwen2.5-0.5B: its layers, widths and vocabulary size) with
    random weights, and a tokenizer trained on the docs (it splits text into ~2x as many tokens
    as Qwen's, so prompts are kept short: `--sources`, `--source-chars`)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    corpus = [p.read_text() for p in sorted(SAMPLE_DOCS.rglob("*.md"))]
    tokenizer = build_tokenizer(corpus)
    config = Qwen2Config(vocab_size=151_936, hidden_size=896, intermediate_size=4864,
                         num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                         max_position_embeddings=32_768, tie_word_embeddings=True,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=None)  # fmt: skip
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():  # only the tokenizer's own words can win: the answers have text
        embeddings = model.get_input_embeddings().weight  # tied: also the output layer
        embeddings[len(tokenizer) :] = 0
        embeddings[tokenizer.all_special_ids] = 0
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The repository at `revision`, as a worktree in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="supportbot-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), revision], cwd=REPO,
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=REPO,
                       check=False, capture_output=True)  # fmt: skip


@contextmanager
def running(workers: list[Worker]) -> Iterator[None]:
    try:
        for worker in workers:
            worker.wait_ready(timeout=300)
        yield
    finally:
        for worker in workers:
            worker.stop()


def answered(records_url: str) -> set[str]:
    """The keys of the questions answered so far, read with plain SQL: the records belong to
    the workers' code (an older checkout knows an older schema), so this process never
    migrates them."""
    engine = create_engine(records_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT q.key FROM questions q JOIN answers a ON a.question_id = q.id"
            ))  # fmt: skip
            return {row[0] for row in rows}
    except OperationalError:  # not created yet: the workers open it on their first question
        return set()
    finally:
        engine.dispose()


def burst(env: dict[str, str], records_url: str, count: int, tag: str) -> tuple[float, list[float]]:
    """Ask `count` questions at once; (answers/s, each question's seconds to its answer)."""
    app = client_app(env)
    asked: dict[str, float] = {}
    for n in range(count):
        question = Question(platform="bench", workspace=tag, text=QUESTIONS[n % len(QUESTIONS)],
                            event_id=f"{tag}-{count}-{n}")  # fmt: skip
        asked[question.key] = time.monotonic()
        app.send_task(names.ANSWER, kwargs={"question": question.model_dump(mode="json")},
                      expires=600)  # fmt: skip
    started, done = min(asked.values()), {}
    deadline = started + 900
    while len(done) < count and time.monotonic() < deadline:
        now = time.monotonic()
        for key in (answered(records_url) & asked.keys()) - done.keys():
            done[key] = now
        time.sleep(0.05)
    if len(done) < count:
        raise RuntimeError(f"{count - len(done)} of {count} questions got no answer")
    latencies = [done[key] - asked[key] for key in asked]
    return count / (max(done.values()) - started), latencies


def run_setup(label: str, backend_env: dict[str, str], data: Path, folder: Path, cwd: Path,
              generation: tuple[int, int], concurrency: list[int]) -> list[str]:  # fmt: skip
    """One row per concurrency for one way of running the workers; `generation` is (workers,
    threads each). Each generation worker gets its share of the cores for torch."""
    redis.Redis.from_url(REDIS).flushdb()
    shutil.copytree(data, folder / "data")
    env = {"SUPPORTBOT_DATA_DIR": str(folder / "data"), "SUPPORTBOT_BROKER_URL": REDIS,
           "C_FORCE_ROOT": "1", **backend_env}  # fmt: skip
    processes, threads = generation
    cores = {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // max(1, processes)))}
    workers = [Worker(env, folder / "knowledge.log", cwd=cwd)]
    workers += [Worker(env | cores, folder / f"generate{n}.log", app="workers.generation",
                       queue="generate", concurrency=threads, cwd=cwd)
                for n in range(processes)]  # fmt: skip
    records_url = settings_from(WorkerSettings, env).resolved_records_url
    rows = []
    with running(workers):
        burst(env, records_url, 2, "warm")  # the first answer pays for lazy loading
        for count in concurrency:
            rate, latencies = burst(env, records_url, count, label.replace(" ", ""))
            rows.append(f"| {label} | {count} | {rate:.2f} | {statistics.median(latencies):.2f} "
                        f"| {percentile(latencies, 0.95):.2f} |")  # fmt: skip
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="d97c5fe", help="git revision of the old path")
    parser.add_argument("--backends", default="hub,hosted")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--hosted-s", type=float, default=1.0)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--sources", type=int, default=2, help="sources in the prompt (hub)")
    parser.add_argument("--source-chars", type=int, default=400, help="characters each (hub)")
    parser.add_argument(
        "--generate-threads",
        type=int,
        default=4,
        help="each generation worker's threads (hub; hosted gets 8)",
    )
    options = parser.parse_args()
    concurrency = [int(c) for c in options.concurrency.split(",")]
    FixedLatencyModel.seconds = options.hosted_s
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        before = stack.enter_context(checkout(options.before))
        data = root / "index"
        kb = KnowledgeBase(make_settings(data))
        kb.ingest([SAMPLE_DOCS], base_url="https://help.orbit.example")
        kb.close()
        build_model(root / "model")
        server = serve(FixedLatencyModel)
        stack.callback(server.shutdown)
        backends = {
            "hub": {"SUPPORTBOT_GENERATOR": "hub", "SUPPORTBOT_BASE_MODEL": str(root / "model"),
                    "SUPPORTBOT_MAX_NEW_TOKENS": str(options.new_tokens),
                    "SUPPORTBOT_ANSWER_SOURCES": str(options.sources),
                    "SUPPORTBOT_MAX_SOURCE_CHARS": str(options.source_chars),
                    "SUPPORTBOT_DEVICE": "cpu"},
            "hosted": {"SUPPORTBOT_GENERATOR": "hosted",
                       "SUPPORTBOT_HOSTED_URL": f"http://127.0.0.1:{server.server_port}"},
        }  # fmt: skip
        for name in options.backends.split(","):
            threads = options.generate_threads if name == "hub" else 8
            about = (f"{options.hosted_s:.1f} s per answer" if name == "hosted" else
                     f"Qwen2.5-0.5B shape, {options.sources} sources x {options.source_chars} "
                     f"chars, {options.new_tokens} new tokens, CPU")  # fmt: skip
            print(f"\n{name} backend ({about})")
            print("| path | questions at once | answers/s | p50 s | p95 s |\n| --- | --- | --- | "
                  "--- | --- |")  # fmt: skip
            setups = [
                ("one worker, before", before, (0, 0)),
                (f"split, 1 generation worker x {threads} threads", REPO, (1, threads)),
                (f"split, 2 generation workers x {threads} threads", REPO, (2, threads)),
            ]
            for label, cwd, generation in setups:  # fmt: skip
                folder = root / name / "".join(c if c.isalnum() else "-" for c in label)
                run_setup(label, backends[name], data, folder, cwd, generation, concurrency)
    print(json.dumps({"cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
