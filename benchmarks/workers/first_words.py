"""Time from a question to its first visible words in the thread, streamed or not (issue 13,
item 4), through the real processes: the knowledge worker, a generation worker, the delivery
worker and the Slack stand-in, on Redis.

Two backends:
- `hosted`: an OpenAI-compatible stand-in that writes `--words` words at `--words-per-s` (a
  served model's pace), as server-sent events when asked to stream;
- `hub`: the default model's shape with random weights on this CPU (`benchmarks/workers/pipeline.py`
  builds it), writing `--new-tokens` tokens.

Each is run with drafts on (`SUPPORTBOT_STREAM_EVERY_S=1`) and off (0), one question at a time.
Prints p50/p95 of: asking -> first words in the thread (the draft, or the answer when off), and
asking -> the answer posted.

Usage: .venv/bin/python benchmarks/workers/first_words.py [--backends hosted,hub] [--questions 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for pipeline.build_model

import redis
from pipeline import QUESTIONS, build_model

from bot.slack.delivery import TASK
from knowledge.answers.evaluation import percentile
from knowledge.models import Question
from knowledge.records.store import Records, Reply
from knowledge.search.base import KnowledgeBase
from tests.conftest import SAMPLE_DOCS, make_settings
from tests.support.chat_api import (
    DONE,
    chunk_event,
    send_completion,
    serve,
    stream_start,
)
from tests.support.observe import wait_until
from tests.support.processes import Worker, client_app, settings_from
from tests.support.slack_api import SlackStandIn
from workers import enqueue
from workers.settings import WorkerSettings

REDIS = "redis://127.0.0.1:6379/7"


class PacedModel(BaseHTTPRequestHandler):
    """A served model writing `words` words at `per_s` a second."""

    words: ClassVar[int] = 60
    per_s: ClassVar[float] = 20.0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = [f"word{n}" for n in range(type(self).words)]
        if body.get("stream"):
            stream_start(self)
            for n, word in enumerate(text):
                time.sleep(1 / type(self).per_s)
                self.wfile.write(chunk_event(word if n == 0 else f" {word}"))
                self.wfile.flush()
            self.wfile.write(DONE)
            return
        time.sleep(len(text) / type(self).per_s)
        send_completion(self, " ".join(text) + " [1].")

    def log_message(self, *args: object) -> None:
        pass


def run(label: str, env: dict[str, str], data: Path, folder: Path, slack: SlackStandIn,
        questions: int) -> None:  # fmt: skip
    redis.Redis.from_url(REDIS).flushdb()
    shutil.copytree(data, folder / "data")
    env = env | {"SUPPORTBOT_DATA_DIR": str(folder / "data"), "SUPPORTBOT_BROKER_URL": REDIS,
                 "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-bench", "SUPPORTBOT_SLACK_API_URL": slack.url,
                 "C_FORCE_ROOT": "1"}  # fmt: skip
    workers = [
        Worker(env, folder / "knowledge.log"),
        Worker(env, folder / "generate.log", app="workers.generation", queue="generate",
               concurrency=4),
        Worker(env, folder / "delivery.log", app="bot.worker", queue="delivery,feedback"),
    ]  # fmt: skip
    records = Records(settings_from(WorkerSettings, env).resolved_records_url)
    app = client_app(env)
    first, whole = [], []
    try:
        for worker in workers:
            worker.wait_ready(timeout=300)
        for n in range(questions + 1):  # the first warms up
            ts = f"{1800000000 + n}.{len(label)}"
            text = QUESTIONS[n % len(QUESTIONS)]
            question = Question(platform="slack", workspace="T1", channel="C1", text=text,
                                event_id=f"{label}-{n}")  # fmt: skip
            to = {"channel": "C1", "thread_ts": ts, "message_ts": ts}
            asked = time.monotonic()
            enqueue.ask(app, records, question, expires_s=600,
                        then=app.signature(TASK, kwargs=Reply(TASK, to).to))  # fmt: skip
            wait_until(lambda q=question: records.state(q.key) == "delivered", "answer", 600)
            posts = slack.posts_in(ts)
            if n == 0:
                continue
            first.append(min(c.at for c in posts) - asked)
            whole.append(max(c.at for c in posts if not c.args["text"].endswith(" …")) - asked)
    finally:
        for worker in workers:
            worker.stop()
        records.close()
    figures = [statistics.median(first), percentile(first, 95), statistics.median(whole),
               percentile(whole, 95)]  # fmt: skip
    print(f"| {label} | " + " | ".join(f"{f:.2f}" for f in figures) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="hosted,hub")
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--words", type=int, default=60)
    parser.add_argument("--words-per-s", type=float, default=20.0)
    parser.add_argument("--new-tokens", type=int, default=64)
    options = parser.parse_args()
    PacedModel.words, PacedModel.per_s = options.words, options.words_per_s
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        kb = KnowledgeBase(make_settings(root / "index"))
        kb.ingest([SAMPLE_DOCS], base_url="https://help.orbit.example")
        kb.close()
        server = serve(PacedModel)
        stack.callback(server.shutdown)
        slack = SlackStandIn().start()
        stack.callback(slack.stop)
        backends = {
            "hosted": {"SUPPORTBOT_GENERATOR": "hosted",
                       "SUPPORTBOT_HOSTED_URL": f"http://127.0.0.1:{server.server_port}"},
            "hub": {"SUPPORTBOT_GENERATOR": "hub", "SUPPORTBOT_BASE_MODEL": str(root / "model"),
                    "SUPPORTBOT_MAX_NEW_TOKENS": str(options.new_tokens),
                    "SUPPORTBOT_ANSWER_SOURCES": "2", "SUPPORTBOT_MAX_SOURCE_CHARS": "400",
                    "SUPPORTBOT_DEVICE": "cpu"},
        }  # fmt: skip
        print(f"hosted: {options.words} words at {options.words_per_s:g}/s; hub: the default "
              f"model's shape on this CPU, {options.new_tokens} new tokens; one question at a "
              "time, seconds from asking")  # fmt: skip
        print("| backend, drafts | first words p50 | p95 | whole answer p50 | p95 |\n"
              "| --- | --- | --- | --- | --- |")  # fmt: skip
        for name in options.backends.split(","):
            if name == "hub":
                build_model(root / "model")
            for every in ("1", "0"):
                label = f"{name}, {'streamed' if every == '1' else 'not streamed'}"
                folder = root / f"{name}-{every}"
                run(label, backends[name] | {"SUPPORTBOT_STREAM_EVERY_S": every}, root / "index",
                    folder, slack, options.questions)  # fmt: skip


if __name__ == "__main__":
    main()
