"""Adapter and queue figures, printed in one run (issue: Slack and Discord adapters).

The real path: signed Slack events over HTTP into the Slack adapter (`python -m bot.slack` in HTTP
mode, its own process, as the Procfile runs it), a knowledge worker and a delivery worker (real
processes), the Web API client posting to a local Slack stand-in. Answers use the
extractive backend so that model time does not hide the path's own cost.

For each broker (Redis on localhost, then the embedded SQLite one):
- ack latency p50/p99 of the HTTP request that carries the event (goal p99 <= 100 ms);
- one question at a time: end to end minus retrieval and generation, p50 (goal <= 50 ms);
- 100 questions fired at once: how many were answered, how many exactly once, and the same
  overhead, which then includes the wait in the queue behind the others.

Usage: .venv/bin/python benchmarks/chat/adapters.py [--questions 100]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

import redis

from bot.discord.app import create_bot
from bot.discord.settings import DiscordSettings
from bot.slack.settings import SlackSettings
from knowledge.answers.evaluation import percentile
from knowledge.records.store import Records
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings
from tests.support.discord_api import GUILD_ID, DiscordStandIn, connected, slash_ask
from tests.support.processes import settings_from, start_answering
from tests.support.slack_api import SlackStandIn, app_mention, post_event
from workers.app import create_app as create_celery

REPO = Path(__file__).resolve().parents[2]
SECRET = "bench-signing-secret"  # noqa: S105 - the stand-in's
DISCORD_TOKEN = "bench-discord-token"  # noqa: S105 - the stand-in's
QUESTIONS = [
    "forgot my password, how do i get back in",
    "how much is business per seat if we pay monthly",
    "api keeps returning 429",
    "can i bring my trello boards over",
    "cancelled our yearly plan after a week, refund?",
]


def send(url: str, event_id: str, text: str, ts: str) -> float:
    status, seconds = post_event(url, app_mention(event_id, text, ts), secret=SECRET)
    if status != 200:
        raise RuntimeError(f"the Bolt app answered {status}")
    return seconds * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_adapter(env: dict[str, str], log: Path, port: int) -> subprocess.Popen:
    """`python -m bot.slack` in HTTP mode, in its own process, as the Procfile runs it."""
    adapter = subprocess.Popen(
        [sys.executable, "-m", "bot.slack"], cwd=REPO, env={**os.environ, **env},
        stdout=log.open("a"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return adapter
        if adapter.poll() is not None:
            raise RuntimeError(f"the Slack adapter exited:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    raise RuntimeError("the Slack adapter never listened")


def run(label: str, broker: str | None, n: int, root: Path, data_dir: Path) -> None:
    slack = SlackStandIn().start()
    discord = DiscordStandIn().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_GENERATOR": "extractive",
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-bench",
        "SUPPORTBOT_SLACK_SIGNING_SECRET": SECRET,
        "SUPPORTBOT_SLACK_MODE": "http",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "SUPPORTBOT_SLACK_PORT": str(free_port()),
        "SUPPORTBOT_DISCORD_TOKEN": DISCORD_TOKEN,
        "SUPPORTBOT_DISCORD_API_URL": discord.api_url,
        "SUPPORTBOT_DISCORD_GUILDS": f"[{GUILD_ID}]",
        "C_FORCE_ROOT": "1",
    }
    if broker:
        env |= {"SUPPORTBOT_BROKER_URL": broker}
    knowledge, delivery = start_answering(env, root, prefix=f"{label}-", delivery_queues="delivery")
    adapter = None
    try:
        knowledge.wait_ready()
        delivery.wait_ready()
        settings = settings_from(SlackSettings, env)
        records = Records(settings.resolved_records_url)
        url = f"http://127.0.0.1:{settings.slack_port}/slack/events"
        adapter = start_adapter(env, root / f"{label}-slack.log", settings.slack_port)
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
                stored = records.stored_answer(
                    f"slack:T0001:{label}-{prefix}-{int(i) - 1700000000}"
                )
                work = stored.timings.total_ms if stored else 0.0
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
        answered = sum(1 for c in counts.values() if c >= 1)
        once = sum(1 for c in counts.values() if c == 1)
        print(f"\n== {label}: Slack (adapter in its own process, HTTP Events) ==")
        alone, burst_acks = acks[:20], acks[20:]
        print(f"ack latency, one at a time: p50 {statistics.median(alone):.1f} ms, "
              f"p99 {percentile(alone, 0.99):.1f} ms  (goal p99 <= 100 ms)")  # fmt: skip
        print(f"ack latency, {n} at once: p50 {statistics.median(burst_acks):.1f} ms, "
              f"p99 {percentile(burst_acks, 0.99):.1f} ms")  # fmt: skip
        print(f"one at a time: overhead beyond retrieval + generation p50 "
              f"{statistics.median(sequential):.0f} ms, p95 {percentile(sequential, 0.95):.0f} ms "
              f"(goal p50 <= 50 ms)")  # fmt: skip
        print(f"{n} at once: answered {answered}/{n}, exactly once {once}/{n}; overhead incl. "
              f"queueing p50 {statistics.median(burst):.0f} ms, "
              f"p95 {percentile(burst, 0.95):.0f} ms")  # fmt: skip
        discord_figures(label, env, n, records, discord)
    finally:
        if adapter is not None:
            adapter.terminate()
            adapter.wait(30)
        knowledge.stop()
        delivery.stop()
        slack.stop()
        discord.stop()


def discord_figures(
    label: str, env: dict[str, str], n: int, records: Records, stand_in: DiscordStandIn
) -> None:
    """/ask through the discord.py bot: time to the deferral (Discord's 3 s ack), and to the
    follow-up minus retrieval + generation; one at a time, then `n` at once."""
    settings = settings_from(DiscordSettings, env)
    bot = create_bot(settings, create_celery(settings), records)

    def ask(i: int) -> tuple[dict, float]:
        interaction = slash_ask(QUESTIONS[i % len(QUESTIONS)])
        return interaction, stand_in.dispatch("INTERACTION_CREATE", interaction)

    def measure(asked: list[tuple[dict, float]], timeout: float) -> tuple[list, list, dict]:
        tokens = {a["token"] for a, _ in asked}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = {c.path.rsplit("/", 1)[-1] for c in stand_in.named("follow_up")}
            if tokens <= done:
                break
            time.sleep(0.05)
        time.sleep(2)  # room for duplicates
        deferred = {c.path.split("/")[2]: c.at for c in stand_in.named("interaction_callback")}
        counts = {t: 0 for t in tokens}
        first: dict[str, float] = {}
        for call in stand_in.named("follow_up"):
            token = call.path.rsplit("/", 1)[-1]
            if token in counts:
                counts[token] += 1
                first.setdefault(token, call.at)
        acks, overhead = [], []
        for interaction, sent in asked:
            if interaction["id"] in deferred:
                acks.append((deferred[interaction["id"]] - sent) * 1000)
            if interaction["token"] in first:
                stored = records.stored_answer(f"discord:{GUILD_ID}:{interaction['id']}")
                work = stored.timings.total_ms if stored else 0.0
                overhead.append((first[interaction["token"]] - sent) * 1000 - work)
        return acks, overhead, counts

    with connected(bot, stand_in, DISCORD_TOKEN):
        alone = []
        for i in range(20):
            alone.append(ask(i))
            measure(alone[-1:], 60)
        alone_acks, alone_overhead, _ = measure(alone, 10)
        burst_acks, burst_overhead, counts = measure([ask(i) for i in range(n)], 600)
    answered = sum(1 for c in counts.values() if c >= 1)
    once = sum(1 for c in counts.values() if c == 1)
    print(f"\n== {label}: Discord (/ask over the gateway, answered by follow-up) ==")
    print(f"deferral latency, one at a time: p50 {statistics.median(alone_acks):.1f} ms, "
          f"p99 {percentile(alone_acks, 0.99):.1f} ms  (Discord's limit 3 s)")  # fmt: skip
    print(f"deferral latency, {n} at once: p50 {statistics.median(burst_acks):.1f} ms, "
          f"p99 {percentile(burst_acks, 0.99):.1f} ms")  # fmt: skip
    print(f"one at a time: overhead beyond retrieval + generation p50 "
          f"{statistics.median(alone_overhead):.0f} ms, "
          f"p95 {percentile(alone_overhead, 0.95):.0f} ms")  # fmt: skip
    print(f"{n} at once: answered {answered}/{n}, exactly once {once}/{n}; overhead incl. "
          f"queueing p50 {statistics.median(burst_overhead):.0f} ms, "
          f"p95 {percentile(burst_overhead, 0.95):.0f} ms")  # fmt: skip


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
