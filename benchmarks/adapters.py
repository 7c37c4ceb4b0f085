"""Adapter and queue figures, printed in one run (issue: Slack and Discord adapters).

The real path: signed Slack events into the Bolt app over HTTP, a knowledge worker and a delivery
worker (real processes), the Web API client posting to a local Slack stand-in. Answers use the
extractive backend so that model time does not hide the path's own cost.

For each broker (Redis on localhost, then the embedded SQLite one):
- ack latency p50/p99 of the HTTP request that carries the event (goal p99 <= 100 ms);
- one question at a time: end to end minus retrieval and generation, p50 (goal <= 50 ms);
- 100 questions fired at once: how many were answered, how many exactly once, and the same
  overhead, which then includes the wait in the queue behind the others.

Usage: .venv/bin/python benchmarks/adapters.py [--questions 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

import redis

from bot.slack.app import create_app, make_http_server
from bot.slack.settings import SlackSettings
from knowledge.base import KnowledgeBase
from knowledge.settings import Settings
from tests.support.processes import Worker, client_app
from tests.support.slack_api import SlackStandIn, post_event
from workers.ledger import Ledger

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"  # noqa: S105 - the stand-in's
QUESTIONS = [
    "forgot my password, how do i get back in",
    "how much is business per seat if we pay monthly",
    "api keeps returning 429",
    "can i bring my trello boards over",
    "cancelled our yearly plan after a week, refund?",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def send(url: str, event_id: str, text: str, ts: str) -> float:
    payload = {
        "type": "event_callback",
        "team_id": "T0001",
        "event_id": event_id,
        "event": {"type": "app_mention", "user": "U0USER", "text": f"<@U0BOT> {text}",
                  "ts": ts, "channel": "C0BENCH"},
    }  # fmt: skip
    status, seconds = post_event(url, payload, secret=SECRET)
    if status != 200:
        raise RuntimeError(f"the Bolt app answered {status}")
    return seconds * 1000


def run(label: str, broker: str | None, n: int, root: Path, data_dir: Path) -> None:
    slack = SlackStandIn().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_GENERATOR": "extractive",
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-bench",
        "SUPPORTBOT_SLACK_SIGNING_SECRET": SECRET,
        "SUPPORTBOT_SLACK_MODE": "http",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "C_FORCE_ROOT": "1",
    }
    if broker:
        env |= {"SUPPORTBOT_BROKER_URL": broker, "SUPPORTBOT_RESULT_BACKEND": broker}
    knowledge = Worker(env, root / f"{label}-knowledge.log")
    delivery = Worker(env, root / f"{label}-delivery.log", app="bot.worker", queue="delivery",
                      pool="threads")  # fmt: skip
    try:
        knowledge.wait_ready()
        delivery.wait_ready()
        settings = SlackSettings(
            _env_file=None,
            data_dir=data_dir,
            slack_bot_token=env["SUPPORTBOT_SLACK_BOT_TOKEN"],
            slack_signing_secret=SECRET,
            slack_mode="http",
            slack_api_url=slack.url,
            broker_url=broker or "",
            result_backend=broker or "",
        )  # type: ignore[call-arg]
        ledger = Ledger(settings.resolved_ledger_url)
        app = create_app(settings, client_app(env), ledger)
        server = make_http_server(app, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        sent: dict[str, float] = {}

        def ask(i: int, prefix: str) -> float:
            ts = f"{1700000000 + i}.{prefix}"
            sent[ts] = time.monotonic()
            return send(url, f"{label}-{prefix}-{i}", QUESTIONS[i % len(QUESTIONS)], ts)

        def overheads(keys: list[str], timeout: float) -> tuple[list[float], dict[str, int]]:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                posted = {c.args.get("thread_ts") for c in slack.named("chat.postMessage")}
                if all(k in posted for k in keys):
                    break
                time.sleep(0.05)
            time.sleep(2)  # room for duplicates
            counts = {k: 0 for k in keys}
            first: dict[str, float] = {}
            for call in slack.named("chat.postMessage"):
                ts = call.args.get("thread_ts")
                if ts in counts:
                    counts[ts] += 1
                    first.setdefault(ts, call.at)
            values = []
            for ts in first:
                i, prefix = ts.split(".")
                stored = ledger.answer(f"slack:T0001:{label}-{prefix}-{int(i) - 1700000000}")
                work = stored["answer"]["timings"]["total_ms"] if stored else 0.0
                values.append((first[ts] - sent[ts]) * 1000 - work)
            return values, counts

        acks = []
        for i in range(20):  # one at a time: each answered before the next is asked
            acks.append(ask(i, "1"))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                c.args.get("thread_ts") == f"{1700000000 + i}.1"
                for c in slack.named("chat.postMessage")
            ):
                time.sleep(0.005)
        keys = [f"{1700000000 + i}.1" for i in range(20)]
        sequential, _ = overheads(keys, 120)
        with ThreadPoolExecutor(max_workers=n) as pool:
            acks += list(pool.map(lambda i: ask(i, "2"), range(n)))
        keys = [f"{1700000000 + i}.2" for i in range(n)]
        burst, counts = overheads(keys, 600)
        server.shutdown()
        answered = sum(1 for c in counts.values() if c >= 1)
        once = sum(1 for c in counts.values() if c == 1)
        print(f"\n== {label} ==")
        alone, burst_acks = acks[:20], acks[20:]
        print(f"ack latency, one at a time: p50 {statistics.median(alone):.1f} ms, "
              f"p99 {pct(alone, 0.99):.1f} ms  (goal p99 <= 100 ms)")  # fmt: skip
        print(f"ack latency, {n} at once: p50 {statistics.median(burst_acks):.1f} ms, "
              f"p99 {pct(burst_acks, 0.99):.1f} ms")  # fmt: skip
        print(f"one at a time: overhead beyond retrieval + generation p50 "
              f"{statistics.median(sequential):.0f} ms, p95 {pct(sequential, 0.95):.0f} ms "
              f"(goal p50 <= 50 ms)")  # fmt: skip
        print(f"{n} at once: answered {answered}/{n}, exactly once {once}/{n}; overhead incl. "
              f"queueing p50 {statistics.median(burst):.0f} ms, "
              f"p95 {pct(burst, 0.95):.0f} ms")  # fmt: skip
    finally:
        knowledge.stop()
        delivery.stop()
        slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for label, broker in (("redis", "redis://127.0.0.1:6379/13"), ("embedded", None)):
            data_dir = root / label / "data"
            kb = KnowledgeBase(Settings(_env_file=None, data_dir=data_dir))
            kb.ingest([REPO / "samples" / "orbit-help"])
            kb.close()
            if broker:
                redis.Redis.from_url(broker).flushdb()
            run(label, broker, args.questions, root, data_dir)


if __name__ == "__main__":
    main()
