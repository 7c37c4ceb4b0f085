"""Faults that last longer than any client's own retries, against a real delivery worker: Redis
(the broker) and PostgreSQL (the records) reached through TCP proxies that the tests cut.
`benchmarks/workers/faults.py` runs the long versions and prints the whole fault table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from kombu import Connection, Exchange, Producer, Queue

from bot.discord.delivery import TASK as DISCORD_TASK
from bot.discord.translate import InThread
from bot.slack.delivery import TASK
from knowledge.models import Feedback, Question
from knowledge.records.store import Posted, Records, Reply
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.answers import answered, asked
from tests.support.databases import fresh_postgres, postgres_ready
from tests.support.discord_api import CHANNEL_ID, GUILD_ID, DiscordStandIn
from tests.support.observe import log_lines, wait_idle, wait_until
from tests.support.processes import Beat, Worker, client_app
from tests.support.proxy import Proxy
from tests.support.slack_api import SlackStandIn
from workers import enqueue
from workers.outages.redis_transport import TRANSPORT

REDIS_DB = 5
REDIS = f"redis://127.0.0.1:6379/{REDIS_DB}"
T0 = datetime(2026, 11, 28, tzinfo=UTC)


@dataclass
class Rig:
    broker: Proxy
    database: Proxy
    records: Records
    slack: SlackStandIn
    delivery: Worker
    env: dict[str, str]


@pytest.fixture
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    """The delivery worker and what it talks to; `@pytest.mark.visibility(S)` sets the broker's
    visibility timeout (a lost message comes back after it)."""
    marker = request.node.get_closest_marker("visibility")
    visibility = str(marker.args[0]) if marker else "300"
    if not postgres_ready():
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (.ci/run starts it)")
    redis.Redis.from_url(REDIS).flushdb()
    broker, database = Proxy(6379), Proxy(5432)
    slack = SlackStandIn().start()
    with fresh_postgres("faults") as url:
        name = url.rsplit("/", 1)[1]
        env = {
            "SUPPORTBOT_DATA_DIR": str(tmp_path / "data"),
            "SUPPORTBOT_BROKER_URL": broker.url("redis", f"/{REDIS_DB}"),
            "SUPPORTBOT_RECORDS_URL": f"postgresql+psycopg://postgres@127.0.0.1:{database.port}/{name}",
            "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
            "SUPPORTBOT_SLACK_API_URL": slack.url,
            "SUPPORTBOT_VISIBILITY_TIMEOUT_S": visibility,
            "C_FORCE_ROOT": "1",
        }
        records = Records(url)  # directly, not through the proxy: the test's own view
        delivery = Worker(env, tmp_path / "delivery.log", app="bot.worker",
                          queue="delivery,feedback", pool="threads")  # fmt: skip
        try:
            delivery.wait_ready()
            yield Rig(broker, database, records, slack, delivery, env)
        finally:
            delivery.stop()
            records.close()
            slack.stop()
            broker.close()
            database.close()


def answered_question(rig: Rig, n: int) -> tuple[str, dict]:
    """A question claimed and answered as the knowledge worker leaves it; its thread and the
    result the chain hands to delivery."""
    question = asked(f"Ev{n}")
    ts = f"{1700000000 + n}.1"
    rig.records.claim(question, Reply(TASK, {"channel": "C1", "thread_ts": ts, "message_ts": ts}))
    rig.records.record_answer(question, answered())
    result = {"question": question.model_dump(mode="json"),
              "answer": answered().model_dump(mode="json")}  # fmt: skip
    return ts, result


@pytest.mark.visibility(10)  # the handed-back messages come back from Redis after this
def test_deliveries_in_flight_outlast_a_broker_drop_and_post_once(rig):
    rig.slack.outage["chat.postMessage"] = 10**9  # Slack down: every delivery is retrying
    celery = client_app(rig.env)
    threads = []
    for n in range(3):
        ts, result = answered_question(rig, n)
        celery.send_task(TASK, args=(result,),
                         kwargs={"channel": "C1", "thread_ts": ts, "message_ts": ts})  # fmt: skip
        threads.append(ts)
    wait_until(lambda: log_lines(rig.delivery.log, "trying again") >= 3, "retrying deliveries")
    rig.broker.cut()
    wait_until(lambda: log_lines(rig.delivery.log, "Connection to broker lost"), "the drop seen")
    # down long enough for the retries in hand to come due and fail to reconnect, twice
    wait_until(lambda: log_lines(rig.delivery.log, "Cannot connect to") >= 2, "an outage")
    rig.broker.restore()
    rig.slack.outage["chat.postMessage"] = 0
    for ts in threads:
        wait_until(lambda ts=ts: landed(rig.slack, ts), f"the post in {ts}")
    wait_until(lambda: all(rig.records.state(asked(f"Ev{n}").key) == "delivered"
                           for n in range(3)), "the posts recorded")  # fmt: skip
    wait_idle(REDIS)
    assert rig.delivery.process.poll() is None  # the worker lived through it
    assert [len(landed(rig.slack, ts)) for ts in threads] == [1, 1, 1]


@pytest.mark.parametrize("transport", ["redis", TRANSPORT])
def test_a_channel_whose_connection_went_away_leaves_its_messages_for_redis(transport):
    """What celery 5.7 does when Redis drops: it closes a connection already collected and goes
    on with a new one, so the old task channel acknowledges, rejects and finally closes with no
    transport. The stock transport raises an AttributeError each time, and the worker exits;
    ours leaves the messages in `unacked` for a worker to hand back after the visibility
    timeout."""
    redis.Redis.from_url(REDIS).flushdb()
    with Connection(REDIS, transport=transport) as connection:
        channel = connection.channel()
        queue = Queue("probe", Exchange("probe", "direct"), "probe")
        for n in range(3):
            Producer(channel).publish({"n": n}, exchange=queue.exchange, routing_key="probe",
                                      declare=[queue])  # fmt: skip
        finished, retried, running = (channel.basic_get("probe", no_ack=False) for _ in range(3))
        channel.connection.client = None  # what collecting the connection did to the transport
        channel._pool = None  # and to its Redis connections
        went_away = [
            lambda: finished.ack(),  # a task done after the drop
            lambda: retried.reject(requeue=True),  # a retry the broker refused, handed back
            channel.close,  # the channel closing with one still in hand
        ]
        for step in went_away:
            if transport == "redis":
                with pytest.raises(AttributeError):
                    step()
            else:
                step()
        assert running is not None
    if transport != "redis":
        assert redis.Redis.from_url(REDIS).hlen("unacked") == 3  # all three come back


def test_votes_and_a_post_outlast_a_records_outage(rig):
    ts, _ = answered_question(rig, 10)
    celery = client_app(rig.env)
    rig.records.delivered(asked("Ev10").key, Posted("C1/1700000010.5", f"C1/{ts}"))
    rig.database.cut()
    votes = [Feedback(platform="slack", kind="vote", user=f"U{n}", message_ref="C1/1700000010.5",
                      value=1, at=T0 + timedelta(seconds=n)) for n in range(5)]  # fmt: skip
    for vote in votes:
        enqueue.feedback(celery, rig.records, vote)
    ts2, result2 = answered_question(rig, 11)  # answered before the outage, posted during it
    celery.send_task(TASK, args=(result2,),
                     kwargs={"channel": "C1", "thread_ts": ts2, "message_ts": ts2})  # fmt: skip
    # an outage longer than the five tries (~30 s) that used to lose votes: 6 writes x 6 tries
    wait_until(lambda: log_lines(rig.delivery.log, "The records did not") >= 36,
               "every write to wait out the outage", timeout=180)  # fmt: skip
    rig.database.restore()
    answer = wait_until(lambda: (a := rig.records.answer_for(asked("Ev10").key))
                        and len(a.votes) == 5 and a, "the votes stored", timeout=180)  # fmt: skip
    assert {v.user for v in answer.votes} == {f"U{n}" for n in range(5)}
    wait_until(lambda: rig.records.state(asked("Ev11").key) == "delivered", "the post recorded",
               timeout=180)  # fmt: skip
    wait_idle(REDIS)
    assert len(landed(rig.slack, ts2)) == 1


@pytest.mark.visibility(10)  # Redis hands the held delivery out again after 10 s
def test_a_post_held_in_discords_own_retries_past_every_clock_is_posted_once(rig, tmp_path):
    discord = DiscordStandIn().start()
    env = rig.env | {
        "SUPPORTBOT_DISCORD_TOKEN": "discord-faults-token",
        "SUPPORTBOT_DISCORD_API_URL": discord.api_url,
        "SUPPORTBOT_RESEND_AFTER_S": "10",  # the sweeper takes back a delivery silent for 10 s
        "SUPPORTBOT_SWEEP_EVERY_S": "1",
    }
    rig.delivery.stop()
    delivery = Worker(env, tmp_path / "discord-delivery.log", app="bot.worker",
                      queue="delivery,feedback")  # fmt: skip
    beat = Beat(env, tmp_path / "beat.log")
    try:
        delivery.wait_ready()
        question = Question(platform="discord", workspace=GUILD_ID, channel=CHANNEL_ID,
                            text="refund?", event_id="EvDiscordDown")  # fmt: skip
        reply = {"reply": InThread(channel_id=CHANNEL_ID, message_id="1300000000000999001",
                                   thread_name="q", start_thread=True).model_dump()}  # fmt: skip
        rig.records.claim(question, Reply(DISCORD_TASK, reply))
        rig.records.record_answer(question, answered())
        discord.outage["*"] = 10**9  # every method: 500; discord.py retries each call ~25 s
        result = {"question": question.model_dump(mode="json"),
                  "answer": answered().model_dump(mode="json")}  # fmt: skip
        client_app(env).send_task(DISCORD_TASK, args=(result,), kwargs=reply)
        # held past the visibility timeout (a copy came back) and the resend delay (10 s each)
        wait_until(lambda: log_lines(delivery.log, "Discord did not take the answer") >= 1
                   and log_lines(delivery.log, "by another task; not posting again") >= 1,
                   "a post held in discord.py's retries", timeout=180)  # fmt: skip
        discord.outage["*"] = 0
        wait_until(lambda: rig.records.state(question.key) == "delivered", "the post recorded")
        wait_idle(REDIS)
        created = [c for c in discord.named("create_message") if not c.refused]
        assert len(created) == 1  # nothing else even tried once Discord was back
        assert sum(len(m) for m in discord.messages.values()) == 1
    finally:
        beat.stop()
        delivery.stop()
        discord.stop()


def landed(slack: SlackStandIn, ts: str) -> list:
    """The posts in a thread that Slack took (not the ones its outage refused)."""
    return [c for c in slack.posts_in(ts) if not c.refused]


def test_an_answer_computed_during_a_records_outage_is_stored_once_it_is_back(rig, tmp_path):
    ingest_small_docs(Path(rig.env["SUPPORTBOT_DATA_DIR"]))
    knowledge = Worker(rig.env | {"SUPPORTBOT_GENERATOR": "extractive"}, tmp_path / "worker.log")
    try:
        knowledge.wait_ready()
        question = asked("Ev20")
        rig.database.cut()
        client_app(rig.env).send_task(
            "supportbot.answer", kwargs={"question": question.model_dump(mode="json")}
        )
        wait_until(lambda: log_lines(knowledge.log, "The records did not take the answer") >= 3,
                   "the answer to wait out the outage")  # fmt: skip
        rig.database.restore()
        answer = wait_until(lambda: rig.records.stored_answer(question.key), "the answer stored")
        assert "14 days" in answer.text
    finally:
        knowledge.stop()
