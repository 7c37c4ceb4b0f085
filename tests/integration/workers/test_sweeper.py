"""Every question ends in an answer or an honest message: the sweeper, with real workers, a real
`celery beat`, Redis and the Slack stand-in. A model that always fails, and an answer whose
delivery message was lost, both end in exactly one post in the thread."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import update

from bot.slack.delivery import TASK
from knowledge.models import Answer, ModelInfo, Question
from knowledge.records.store import Posted, Records, Reply
from knowledge.records.tables import AskedQuestion
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.chat_api import BrokenModel, serve
from tests.support.observe import wait_idle, wait_until
from tests.support.processes import (
    Beat,
    client_app,
    settings_from,
    start_answering,
    start_generating,
)
from tests.support.slack_api import SlackStandIn
from workers import enqueue
from workers.settings import WorkerSettings

REDIS = "redis://127.0.0.1:6379/8"


@dataclass
class Setup:
    slack: SlackStandIn
    records: Records
    env: dict[str, str]

    def reply(self, ts: str) -> Reply:
        return Reply(TASK, {"channel": "C0SUPPORT", "thread_ts": ts, "message_ts": ts})


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    redis.Redis.from_url(REDIS).flushdb()
    root = tmp_path_factory.mktemp("sweeper")
    data_dir = root / "data"
    ingest_small_docs(data_dir)
    model = serve(BrokenModel)
    slack = SlackStandIn().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_GENERATOR": "hosted",
        "SUPPORTBOT_HOSTED_URL": f"http://127.0.0.1:{model.server_port}",
        "SUPPORTBOT_BROKER_URL": REDIS,
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "SUPPORTBOT_SWEEP_EVERY_S": "1",
        "SUPPORTBOT_RESEND_AFTER_S": "10",
        "SUPPORTBOT_HANDOFF_CONTACT": "#help-desk",
        "SUPPORTBOT_RETENTION_DAYS": "1",
        "C_FORCE_ROOT": "1",
    }
    knowledge, delivery = start_answering(env, root)
    generation = start_generating(env, root / "generate.log")
    beat = Beat(env, root / "beat.log")
    try:
        knowledge.wait_ready()
        generation.wait_ready()
        delivery.wait_ready()
        records = Records(settings_from(WorkerSettings, env).resolved_records_url)
        yield Setup(slack, records, env)
    finally:
        beat.stop()
        knowledge.stop()
        generation.stop()
        delivery.stop()
        slack.stop()
        model.shutdown()


def asked(event_id: str, text: str = "can i get a refund on a yearly plan?") -> Question:
    return Question(platform="slack", workspace="T0001", channel="C0SUPPORT", text=text,
                    event_id=event_id)  # fmt: skip


def test_a_question_the_model_cannot_answer_ends_in_one_apology(setup):
    question = asked("EvBroken")
    ts = "1700000100.1"
    delivery = client_app(setup.env).signature(TASK, kwargs=setup.reply(ts).to)
    assert enqueue.ask(client_app(setup.env), setup.records, question, expires_s=600,
                       then=delivery) is not None  # fmt: skip
    (sorry,) = setup.slack.wait_posts(ts)
    assert "Sorry, I couldn't answer this one" in sorry.args["text"]
    assert "#help-desk" in sorry.args["text"]
    wait_until(lambda: setup.records.state(question.key) == "told", "the apology to be recorded")
    removed = wait_until(lambda: [c for c in setup.slack.named("reactions.remove")
                                  if c.args["timestamp"] == ts], "the eyes cleared")  # fmt: skip
    assert len(removed) == 1
    wait_idle(REDIS)
    assert len(setup.slack.posts_in(ts)) == 1  # told once, however many sweeps ran meanwhile
    assert setup.records.stored_answer(question.key) is None


def test_an_answer_whose_delivery_was_lost_is_posted_by_the_sweeper_once(setup):
    question = asked("EvLost", "how long do refunds take?")
    ts = "1700000101.1"
    assert setup.records.claim(question, setup.reply(ts))
    written = Answer(question=question.text, standalone_question=question.text,
                     text="Within 14 days [1].", confidence="high",
                     model=ModelInfo(backend="extractive"))  # fmt: skip
    assert setup.records.record_answer(question, written)  # ... and its delivery never sent
    (post,) = setup.slack.wait_posts(ts)
    assert "Within 14 days" in post.args["text"]
    wait_until(lambda: setup.records.state(question.key) == "delivered", "the delivery record")
    stored = setup.records.answer_for(question.key)
    assert stored is not None and stored.place == f"C0SUPPORT/{ts}"
    assert (stored.message_ref or "").startswith("C0SUPPORT/")  # votes on the post will count
    wait_idle(REDIS)
    assert len(setup.slack.posts_in(ts)) == 1


def test_the_words_of_a_conversation_past_retention_are_removed_by_the_sweeper(setup):
    old, recent = asked("EvRetained", "my order 8812 never came"), asked("EvRecent")
    written = Answer(question=old.text, standalone_question=old.text, text="See [1].",
                     confidence="high", model=ModelInfo(backend="extractive"))  # fmt: skip
    for n, question in enumerate((old, recent)):
        posted = Posted(f"C0SUPPORT/{n}.5", f"C0SUPPORT/{n}")
        assert setup.records.record_answer(question, written, posted)
    with setup.records.session() as session:  # asked two days ago: past a day's retention
        session.execute(update(AskedQuestion).where(AskedQuestion.key == old.key)
                        .values(asked_at=datetime.now(UTC) - timedelta(days=2)))  # fmt: skip
        session.commit()
    wait_until(lambda: setup.records.question(old.key).text == "", "the old words removed")
    assert setup.records.stored_answer(old.key).text == ""
    assert setup.records.state(old.key) == "delivered"  # what became of it stays
    assert setup.records.question(recent.key).text == recent.text
