"""A question whose task the broker lost is answered, not apologised for: real workers, a real
`celery beat` sending the sweep every second, Redis and the Slack stand-in.

Two ways a task vanishes without failing anywhere: a worker killed between taking a message and
noting it as unacknowledged (BRPOP removes it from the queue first), and Redis restarted without
its data. The sweeper asks Redis which tasks it holds and sends the missing ones again.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from bot.slack.delivery import TASK
from knowledge.records.store import Records, Reply
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.answers import asked
from tests.support.observe import wait_idle, wait_until
from tests.support.processes import Beat, Worker, client_app, settings_from
from tests.support.slack_api import SlackStandIn
from workers import enqueue, names
from workers.settings import WorkerSettings

REDIS = "redis://127.0.0.1:6379/3"
ANSWERED = "14 days"


@dataclass
class Setup:
    slack: SlackStandIn
    records: Records
    env: dict[str, str]
    root: Path

    def ask(self, event_id: str, ts: str) -> str:
        """Enqueue a question as the Slack adapter does; its key."""
        question = asked(event_id)
        reply = Reply(TASK, {"channel": "C0SUPPORT", "thread_ts": ts, "message_ts": ts})
        deliver = client_app(self.env).signature(reply.task, kwargs=reply.to)
        assert enqueue.ask(client_app(self.env), self.records, question, expires_s=600,
                           then=deliver) is not None  # fmt: skip
        return question.key

    def answers(self, ts: str) -> list:
        """The answers posted in a thread (not its "N questions ahead" message)."""
        return [c for c in self.slack.posts_in(ts) if ANSWERED in str(c.args.get("text"))]

    def knowledge_worker(self, name: str) -> Worker:
        worker = Worker(self.env, self.root / f"{name}.log")
        worker.wait_ready()
        return worker


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    redis.Redis.from_url(REDIS).flushdb()
    root = tmp_path_factory.mktemp("lost")
    ingest_small_docs(root / "data")
    slack = SlackStandIn().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(root / "data"),
        "SUPPORTBOT_GENERATOR": "extractive",
        "SUPPORTBOT_BROKER_URL": REDIS,
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "SUPPORTBOT_SWEEP_EVERY_S": "1",
        "C_FORCE_ROOT": "1",
    }
    delivery = Worker(env, root / "delivery.log", app="bot.worker", queue="delivery,feedback")
    beat = Beat(env, root / "beat.log")
    try:
        delivery.wait_ready()
        records = Records(settings_from(WorkerSettings, env).resolved_records_url)
        yield Setup(slack, records, env, root)
    finally:
        beat.stop()
        delivery.stop()
        slack.stop()


def held(key: str) -> bool:
    """Whether Redis still has the question's task, queued or unacknowledged."""
    client = redis.Redis.from_url(REDIS)
    queued = [json.loads(m)["headers"]["id"] for m in client.lrange(names.KNOWLEDGE_QUEUE, 0, -1)]
    unacked = [json.loads(v)[0]["headers"]["id"] for v in client.hvals("unacked")]
    return names.answer_id(key) in queued + unacked


def test_a_question_taken_by_a_worker_killed_before_it_noted_it_is_answered(setup):
    worker = setup.knowledge_worker("frozen")
    worker.process.send_signal(signal.SIGSTOP)  # waiting in BRPOP: Redis hands it the next task
    try:
        key = setup.ask("EvTaken", "1700000501.1")
        wait_until(lambda: not held(key), "the frozen worker's BRPOP to take the task")
    finally:
        worker.kill()  # before it could note the message as unacknowledged: the task is gone
    assert setup.records.state(key) == "claimed"
    again = setup.knowledge_worker("again")
    try:
        wait_until(lambda: setup.answers("1700000501.1"), "the answer")
        wait_idle(REDIS)
        assert len(setup.answers("1700000501.1")) == 1
        assert not [c for c in setup.slack.posts_in("1700000501.1") if "Sorry" in c.args["text"]]
    finally:
        again.stop()


def test_questions_wiped_by_redis_restarting_empty_are_answered(setup):
    keys = [setup.ask(f"EvWiped{n}", f"17000006{n:02d}.1") for n in range(3)]  # no worker yet
    assert all(held(key) for key in keys)
    redis.Redis.from_url(REDIS).flushdb()  # Redis back without its data
    worker = setup.knowledge_worker("after-flush")
    threads = [f"17000006{n:02d}.1" for n in range(3)]
    try:
        wait_until(lambda: all(setup.answers(ts) for ts in threads), "the three answers")
        wait_idle(REDIS)
        assert [len(setup.answers(ts)) for ts in threads] == [1, 1, 1]
    finally:
        worker.stop()
