"""An auto-answered Slack channel at 100 messages a minute (issue: work the support queue).

The real path, as `benchmarks/chat/adapters.py` runs it: signed Events API requests into the Slack
adapter (`python -m bot.slack`, HTTP mode, its own process), a knowledge worker and a delivery
worker on Redis, the Web API client posting to a local Slack stand-in, the quoting backend. The
channel's policy is `"mode": "auto"`: every top-level message is the bot's to judge, without a
mention. The stream mixes questions with what a busy channel also carries (thanks, a message to
a colleague, an aside), paced evenly over the minute.

Prints: the ack latency of every event, p50/p99 (goal p99 <= 100 ms: Slack retries an event not
acknowledged within 3 s, and the adapter must not fall behind); how many questions were
answered, and exactly once; how many other messages were left alone; the time from a question's
event to its answer, p50/p95.

Usage: .venv/bin/python benchmarks/chat/auto_channel.py [--messages 100] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for adapters

import redis
from adapters import QUESTIONS, SECRET, free_port, start_adapter

from bot.slack.settings import SlackSettings
from knowledge.answers.evaluation import percentile
from knowledge.records.store import Records
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings
from tests.support.processes import settings_from, start_answering
from tests.support.slack_api import SlackStandIn, post_event

REPO = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/14"
CHANNEL = "C0ASKAI"
#: What else a busy support channel carries: none of it is for the bot.
CHATTER = ["thanks, that fixed it!", "<@U0LEAD> can you look at this one?", "// brb, lunch", "👍"]


def message(i: int, text: str) -> tuple[str, dict]:
    ts = f"{1700000000 + i}.1"
    return ts, {"type": "event_callback", "team_id": "T0001", "event_id": f"EvAuto{i}",
                "event": {"type": "message", "channel": CHANNEL, "channel_type": "channel",
                          "user": f"U0{i:04d}", "text": text, "ts": ts}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir = root / "data"
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=data_dir))
        kb.ingest([REPO / "samples" / "orbit-help"])
        kb.close()
        redis.Redis.from_url(BROKER).flushdb()
        slack = SlackStandIn().start()
        env = {
            "SUPPORTBOT_DATA_DIR": str(data_dir),
            "SUPPORTBOT_GENERATOR": "extractive",
            "SUPPORTBOT_BROKER_URL": BROKER,
            "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-bench",
            "SUPPORTBOT_SLACK_SIGNING_SECRET": SECRET,
            "SUPPORTBOT_SLACK_MODE": "http",
            "SUPPORTBOT_SLACK_API_URL": slack.url,
            "SUPPORTBOT_SLACK_PORT": str(free_port()),
            "SUPPORTBOT_SLACK_CHANNELS": json.dumps({CHANNEL: {"mode": "auto"}}),
            "C_FORCE_ROOT": "1",
        }
        knowledge, delivery = start_answering(env, root, delivery_queues="delivery,feedback")
        adapter = None
        try:
            knowledge.wait_ready()
            delivery.wait_ready()
            settings = settings_from(SlackSettings, env)
            records = Records(settings.resolved_records_url)
            url = f"http://127.0.0.1:{settings.slack_port}/slack/events"
            adapter = start_adapter(env, root / "slack.log", settings.slack_port)
            stream = [
                message(i, CHATTER[i % len(CHATTER)] if i % 10 in (3, 7, 9) else
                        QUESTIONS[i % len(QUESTIONS)])
                for i in range(args.messages)
            ]  # fmt: skip
            questions = {ts for ts, event in stream if event["event"]["text"] in QUESTIONS}
            sent: dict[str, float] = {}

            def send(item: tuple[str, dict]) -> float:
                ts, event = item
                sent[ts] = time.monotonic()
                status, seconds = post_event(url, event, secret=SECRET)
                if status != 200:
                    raise RuntimeError(f"the adapter answered {status}")
                return seconds * 1000

            gap = args.seconds / args.messages
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                pending = []
                for n, item in enumerate(stream):
                    time.sleep(max(0.0, started + n * gap - time.monotonic()))
                    pending.append(pool.submit(send, item))
                acks = [p.result() for p in pending]
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                answered = {c.args.get("thread_ts") for c in slack.named("chat.postMessage")}
                if questions <= answered:
                    break
                time.sleep(0.1)
            time.sleep(3)  # room for duplicates, and for anything said to the chatter
            posts: dict[str, list[float]] = {}
            for call in slack.named("chat.postMessage"):
                posts.setdefault(str(call.args.get("thread_ts")), []).append(call.at)
            once = sum(1 for ts in questions if len(posts.get(ts, [])) == 1)
            got = sum(1 for ts in questions if posts.get(ts))
            chatter = [ts for ts, _ in stream if ts not in questions]
            left_alone = sum(1 for ts in chatter if not posts.get(ts))
            waits = [(posts[ts][0] - sent[ts]) * 1000 for ts in questions if posts.get(ts)]
            declined = sum(
                1 for ts, event in stream if ts in questions
                and (a := records.stored_answer(f"slack:T0001:{event['event_id']}")) is not None
                and a.declined
            )  # fmt: skip
            print(f"\n== an auto channel: {args.messages} messages over {args.seconds:.0f} s "
                  f"({len(questions)} questions, {len(chatter)} other) ==")  # fmt: skip
            print(f"ack latency: p50 {statistics.median(acks):.1f} ms, "
                  f"p99 {percentile(acks, 0.99):.1f} ms, max {max(acks):.1f} ms "
                  f"(goal p99 <= 100 ms)")  # fmt: skip
            print(f"questions answered {got}/{len(questions)}, exactly once "
                  f"{once}/{len(questions)} ({declined} of them handed to a person: below the "
                  f"bar); other messages left alone {left_alone}/{len(chatter)}")  # fmt: skip
            print(f"event to answer: p50 {statistics.median(waits):.0f} ms, "
                  f"p95 {percentile(waits, 0.95):.0f} ms")  # fmt: skip
        finally:
            if adapter is not None:
                adapter.terminate()
                adapter.wait(30)
            knowledge.stop()
            delivery.stop()
            slack.stop()


if __name__ == "__main__":
    main()
