"""Slack's own streaming, end to end: a model stand-in that streams and holds its answer until the
test releases it, real knowledge, generation and delivery workers on Redis, and the Slack
stand-in taking chat.startStream / appendStream / stopStream; then the fallback, an edited
draft, once the workspace's streaming budget is spent. (The edited drafts themselves:
tests/integration/workers/test_generation.py.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from bot.slack.delivery import TASK
from knowledge.models import Question
from knowledge.records.store import Records, Reply
from tests.integration.workers.test_generation import FIRST, MORE, HeldModel
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.chat_api import serve
from tests.support.observe import wait_idle, wait_until
from tests.support.processes import client_app, settings_from, start_answering, start_generating
from tests.support.slack_api import SlackStandIn
from workers import enqueue
from workers.settings import WorkerSettings

REDIS = "redis://127.0.0.1:6379/11"


@dataclass
class Streaming:
    slack: SlackStandIn
    records: Records
    env: dict[str, str]

    def ask(self, n: int) -> tuple[Question, str]:
        """A question in its own thread of a Slack channel, chained to the Slack delivery."""
        question = Question(platform="slack", workspace="T1", channel="C1", user="U1",
                            text="can i get a refund on a yearly plan?",
                            event_id=f"EvStream{n}")  # fmt: skip
        ts = f"{1700004000 + n}.1"
        app = client_app(self.env)
        to = {"channel": "C1", "thread_ts": ts, "message_ts": ts}
        then = app.signature(TASK, kwargs=Reply(TASK, to).to)
        assert enqueue.ask(app, self.records, question, expires_s=600, then=then) is not None
        return question, ts

    def answered(self, question: Question) -> None:
        wait_until(lambda: self.records.state(question.key) == "delivered", "the answer posted")
        wait_idle(REDIS)


@pytest.fixture(scope="module")
def streaming(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Streaming]:
    redis.Redis.from_url(REDIS).flushdb()
    root = tmp_path_factory.mktemp("streaming")
    ingest_small_docs(root / "data")
    model = serve(HeldModel)
    slack = SlackStandIn().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(root / "data"),
        "SUPPORTBOT_GENERATOR": "hosted",
        "SUPPORTBOT_HOSTED_URL": f"http://127.0.0.1:{model.server_port}",
        "SUPPORTBOT_BROKER_URL": REDIS,
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "SUPPORTBOT_STREAM_EVERY_S": "0.01",  # every sentence the model writes is a draft
        "C_FORCE_ROOT": "1",
    }
    knowledge, delivery = start_answering(env, root)
    generation = start_generating(env, root / "generate.log", concurrency=1)
    try:
        for worker in (knowledge, generation, delivery):
            worker.wait_ready()
        yield Streaming(
            slack, Records(settings_from(WorkerSettings, env).resolved_records_url), env
        )
    finally:
        HeldModel.release.set()
        if HeldModel.more is not None:
            HeldModel.more.set()
            HeldModel.more = None
        for worker in (knowledge, generation, delivery):
            worker.stop()
        slack.stop()
        model.shutdown()


def hold_the_model() -> None:
    HeldModel.questions, HeldModel.requests = [], []
    HeldModel.release.clear()
    HeldModel.more = threading.Event()


def test_an_answer_streams_into_its_thread_then_is_posted_once_with_its_sources(streaming):
    hold_the_model()
    question, ts = streaming.ask(1)
    (started,) = streaming.slack.wait_for("chat.startStream")
    assert started.args["thread_ts"] == ts and started.args["markdown_text"] == FIRST
    assert (started.args["recipient_team_id"], started.args["recipient_user_id"]) == ("T1", "U1")
    HeldModel.more.set()  # the model writes its next sentence: appended, not the whole again
    (appended,) = streaming.slack.wait_for("chat.appendStream")
    assert appended.args["ts"] == started.ts
    assert (FIRST + appended.args["markdown_text"]).split() == f"{FIRST} {MORE}".split()
    HeldModel.release.set()
    streaming.answered(question)

    stopped = {c.args["ts"] for c in streaming.slack.named("chat.stopStream")}
    deleted = {c.args["ts"] for c in streaming.slack.named("chat.delete")}
    assert started.ts in stopped and started.ts in deleted  # the stream made way for the answer
    (answer,) = streaming.slack.posts_in(ts)  # posted once, as its own message with its sources
    assert "14 days" in answer.args["text"] and "Sources" in str(answer.args["blocks"])
    assert streaming.slack.named("chat.update") == []  # nothing was shown by editing


def test_once_the_streaming_budget_is_spent_the_thread_gets_an_edited_draft(streaming):
    hold_the_model()
    HeldModel.more.set()
    streaming.slack.rate_limit["chat.startStream"] = 10**6  # Slack: 429, the budget is spent
    try:
        question, ts = streaming.ask(2)
        (draft,) = wait_until(
            lambda: [c for c in streaming.slack.posts_in(ts) if c.args["text"].endswith(" …")],
            "a draft posted as a message",
        )
        assert draft.args["text"].startswith(FIRST)
        assert [c.refused for c in streaming.slack.named("chat.startStream")][-1:] == [True]
        HeldModel.release.set()
        streaming.answered(question)
    finally:
        streaming.slack.rate_limit.pop("chat.startStream")
    deleted = {c.args["ts"] for c in streaming.slack.named("chat.delete")}
    assert draft.ts in deleted
    (answer,) = [c for c in streaming.slack.posts_in(ts) if c.ts not in deleted]
    assert "14 days" in answer.args["text"] and not answer.args["text"].endswith("…")
