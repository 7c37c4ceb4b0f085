"""The fault table (issues 11 and 23): each fault against real processes, and what became of
every question and vote.

Real parts: the Slack adapter (Bolt over HTTP, in this process), the Discord bot (discord.py on
the gateway stand-in, in this process), a knowledge worker, a delivery worker and `celery beat`
(separate processes, with the Procfile's pools, threads and flags), Redis as the broker and
PostgreSQL as the records, each reached through a TCP proxy that the benchmark cuts for the
length of an outage. A platform outage fails every API method, not only the post.

For each fault: questions asked; answered once (exactly one answer in the thread); told (an
honest "can't take questions now" or "couldn't answer" in the thread); lost (nothing at all);
duplicated (more than one answer); the seconds from the fault to each asker's outcome (median
and slowest); votes sent and stored.

Two sets of clocks: `short` (expiry 120 s, visibility 60 s, sweep every 10 s, resend after 60 s:
the rows end in minutes) and `default` (the settings a team runs: expiry 600 s, visibility 300 s,
sweep 30 s, resend 300 s), whose rows are a 10-minute outage of both platforms, Redis dropping
with deliveries in flight, a SIGKILLed worker and Redis restarting empty.

Usage: .venv/bin/python benchmarks/workers/faults.py [--clocks short,default] [--platform-s 120]
       [--redis-s 60] [--db-s 300] [--long-platform-s 600]
The expiry row sends its questions with a 20 s expiry instead of waiting 10 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

import redis

from bot.discord.app import create_bot
from bot.discord.settings import DiscordSettings
from bot.slack.app import create_app, make_http_server
from bot.slack.delivery import TASK as SLACK_DELIVERY
from bot.slack.settings import SlackSettings
from knowledge.models import Question
from knowledge.records.store import Records
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support import discord_api
from tests.support.chat_api import BrokenModel, serve
from tests.support.databases import fresh_postgres
from tests.support.discord_api import BOT, DiscordStandIn, connected, message
from tests.support.observe import wait_idle, wait_until
from tests.support.processes import (
    Beat,
    Worker,
    client_app,
    settings_from,
    start_answering,
    start_generating,
)
from tests.support.proxy import Proxy
from tests.support.slack_api import SlackStandIn, app_mention, post_event
from workers import enqueue

REDIS_DB = 15  # no test uses it: the benchmark can run beside the suite
SECRET = "faults-signing-secret"  # noqa: S105 - the stand-in's
DISCORD_TOKEN = "faults.discord.token"  # noqa: S105
QUESTION = "can i get a refund on a yearly plan?"
ANSWERED = "14 days"
TOLD = ("can't take questions", "couldn't answer")


SHORT_CLOCKS = {
    "SUPPORTBOT_TASK_EXPIRY_S": "120",
    "SUPPORTBOT_VISIBILITY_TIMEOUT_S": "60",
    "SUPPORTBOT_SWEEP_EVERY_S": "10",
    "SUPPORTBOT_RESEND_AFTER_S": "60",
}
DEFAULT_CLOCKS: dict[str, str] = {}


@dataclass
class Row:
    fault: str
    outage: str
    asked: int = 0
    answered_once: int = 0
    told: int = 0
    lost: int = 0
    duplicated: int = 0
    votes_sent: int = 0
    votes_stored: int = 0
    outcome_s: list[float] = field(default_factory=list)  # fault -> each asker's outcome

    @property
    def to_outcome(self) -> str:
        if not self.outcome_s:
            return ""
        ordered = sorted(self.outcome_s)
        return f"{ordered[len(ordered) // 2]:.0f} / {ordered[-1]:.0f}"


class Rig:
    """Everything running, with the proxies to cut."""

    def __init__(self, root: Path, records_url: str, clocks: dict[str, str]) -> None:
        self.root = root
        self.redis = Proxy(6379)
        self.postgres = Proxy(5432)
        self.slack = SlackStandIn().start()
        self.discord = DiscordStandIn().start()
        database = records_url.rsplit("/", 1)[1]
        self.env = {
            "SUPPORTBOT_DATA_DIR": str(root / "data"),
            "SUPPORTBOT_GENERATOR": "extractive",
            "SUPPORTBOT_BROKER_URL": self.redis.url("redis", f"/{REDIS_DB}"),
            "SUPPORTBOT_RECORDS_URL": self.postgres.url(
                "postgresql+psycopg", f"/{database}"
            ).replace("://", "://postgres@"),
            **clocks,
            "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-faults",
            "SUPPORTBOT_SLACK_SIGNING_SECRET": SECRET,
            "SUPPORTBOT_SLACK_MODE": "http",
            "SUPPORTBOT_SLACK_API_URL": self.slack.url,
            "SUPPORTBOT_DISCORD_TOKEN": DISCORD_TOKEN,
            "SUPPORTBOT_DISCORD_API_URL": self.discord.api_url,
            "SUPPORTBOT_DISCORD_GUILDS": f"[{discord_api.GUILD_ID}]",
            "C_FORCE_ROOT": "1",
        }
        ingest_small_docs(root / "data")
        self.knowledge, self.delivery = start_answering(self.env, root)
        self.beat = Beat(self.env, root / "beat.log")
        self.knowledge.wait_ready()
        self.delivery.wait_ready()
        settings = settings_from(SlackSettings, self.env)
        self.records = Records(settings.resolved_records_url)
        self.celery = client_app(self.env)
        self.server = make_http_server(
            create_app(settings, client_app(self.env), self.records), settings, "127.0.0.1", 0
        )
        threading.Thread(target=self.server.run, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.effective_port}/slack/events"
        discord_settings = settings_from(DiscordSettings, self.env)
        self.bot = create_bot(discord_settings, client_app(self.env), self.records)
        self._ids = itertools.count(1)
        self.keys: dict[str, str] = {}  # thread ts -> question key

    def close(self) -> None:
        self.server.close()
        for process in (self.beat, self.knowledge, self.delivery):
            process.stop()
        self.slack.stop()
        self.discord.stop()
        self.redis.close()
        self.postgres.close()

    # -- asking ------------------------------------------------------------------------------
    def ask_slack(self, label: str) -> str:
        """A mention in a new thread; its thread ts."""
        n = next(self._ids)
        ts = f"{1700000000 + n}.{n:06d}"
        self.keys[ts] = f"slack:T0001:Ev{label}{n}"
        post_event(self.url, app_mention(f"Ev{label}{n}", QUESTION, ts), secret=SECRET, timeout=30)
        return ts

    def vote_slack(self, label: str, on_ts: str, user: str) -> None:
        n = next(self._ids)
        payload = {
            "type": "event_callback", "team_id": "T0001", "event_id": f"Ev{label}V{n}",
            "event": {"type": "reaction_added", "user": user, "reaction": "+1",
                      "item_user": "U0BOT", "item": {"type": "message", "channel": "C0SUPPORT",
                                                     "ts": on_ts},
                      "event_ts": f"{time.time():.6f}"},
        }  # fmt: skip
        post_event(self.url, payload, secret=SECRET, timeout=30)

    def ask_discord(self) -> str:
        payload = message(f"<@{BOT['id']}> {QUESTION}", mentions=[BOT])
        self.discord.dispatch("MESSAGE_CREATE", payload)
        return payload["id"]

    # -- outcomes -----------------------------------------------------------------------------
    def slack_texts(self, ts: str) -> list[str]:
        return [text for text, _ in self.slack_posts(ts)]

    def slack_posts(self, ts: str) -> list[tuple[str, float]]:
        """What Slack took in a thread, and when (monotonic)."""
        return [(str(c.args.get("text", "")), c.at) for c in self.slack.posts_in(ts)
                if not c.refused]  # fmt: skip

    def discord_texts(self, message_id: str) -> list[str]:
        return [text for text, _ in self.discord_posts(message_id)]

    def discord_posts(self, message_id: str) -> list[tuple[str, float]]:
        """What Discord took in a message's thread (or in reply to it), and when; a post that
        Discord matched to an earlier one by its nonce is that one, not another."""
        posts, nonces = [], set()
        for call in self.discord.named("create_message"):
            body = call.body or {}
            if call.refused or (body.get("nonce") and body.get("nonce") in nonces):
                continue
            nonces.add(body.get("nonce"))
            reference = str((body.get("message_reference") or {}).get("message_id", ""))
            if message_id in call.path or reference == message_id:
                embeds = body.get("embeds") or [{}]
                text = str(body.get("content", "")) + str(embeds[0].get("description", ""))
                posts.append((text, call.at))
        return posts

    def settle(self, done: Callable[[], bool], timeout: float) -> None:
        """Until `done()` (every question has its outcome), then the queues run dry."""
        with contextlib.suppress(AssertionError):  # what is missing then is counted as lost
            wait_until(done, "every question to end", timeout=timeout, every=0.5)
        try:
            wait_idle(f"redis://127.0.0.1:6379/{REDIS_DB}", timeout=timeout)
        except AssertionError:  # counted as it stands; the next row starts with work pending
            print(f"    the queues were still busy after {timeout:.0f} s", file=sys.stderr)


def tally(row: Row, threads: list[list[tuple[str, float]]], since: float) -> Row:
    """Count each thread's outcome; `since`: when the fault began (monotonic)."""
    row.asked = len(threads)
    for posts in threads:
        texts = [text for text, _ in posts]
        answers = sum(ANSWERED in t for t in texts)
        told = any(any(phrase in t for phrase in TOLD) for t in texts)
        row.answered_once += answers == 1
        row.duplicated += answers > 1
        row.told += told and answers == 0
        row.lost += answers == 0 and not told
        ends = [at for text, at in posts if ANSWERED in text or any(p in text for p in TOLD)]
        if ends:
            row.outcome_s.append(min(ends) - since)
    return row


def ended(texts: list[str]) -> bool:
    return any(ANSWERED in t or any(phrase in t for phrase in TOLD) for t in texts)


@contextmanager
def outage(seconds: float, start: Callable[[], None], end: Callable[[], None]) -> Iterator[None]:
    """`start()`, the body, then `end()` once `seconds` have passed since `start()`."""
    began = time.monotonic()
    start()
    try:
        yield
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))
    finally:
        end()


# -- the faults -----------------------------------------------------------------------------------
def everything(stand_in: SlackStandIn | DiscordStandIn, down: bool) -> None:
    """Every API method of a platform failing (500), or none."""
    stand_in.outage["*"] = 10**9 if down else 0


def slack_api_down(rig: Rig, seconds: float) -> Row:
    since = time.monotonic()
    with outage(seconds, lambda: everything(rig.slack, True), lambda: everything(rig.slack, False)):
        threads = [rig.ask_slack("SlackDown") for _ in range(5)]
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 900)
    return tally(Row("Slack Web API answers 500 to every method", f"{seconds:.0f} s"),
                 [rig.slack_posts(t) for t in threads], since)  # fmt: skip


def discord_api_down(rig: Rig, seconds: float) -> Row:
    since = time.monotonic()
    with outage(seconds, lambda: everything(rig.discord, True),
                lambda: everything(rig.discord, False)):  # fmt: skip
        asked = [rig.ask_discord() for _ in range(5)]
    rig.settle(lambda: all(ended(rig.discord_texts(m)) for m in asked), 900)
    return tally(Row("Discord REST answers 500 to every method", f"{seconds:.0f} s"),
                 [rig.discord_posts(m) for m in asked], since)  # fmt: skip


def both_platforms_down(rig: Rig, seconds: float) -> list[Row]:
    since = time.monotonic()

    def down(state: bool) -> None:
        everything(rig.slack, state)
        everything(rig.discord, state)

    with outage(seconds, lambda: down(True), lambda: down(False)):
        threads = [rig.ask_slack("LongDown") for _ in range(5)]
        asked = [rig.ask_discord() for _ in range(5)]
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads)
               and all(ended(rig.discord_texts(m)) for m in asked), 1200)  # fmt: skip
    return [
        tally(Row("Slack Web API answers 500 to every method", f"{seconds:.0f} s"),
              [rig.slack_posts(t) for t in threads], since),
        tally(Row("Discord REST answers 500 to every method", f"{seconds:.0f} s"),
              [rig.discord_posts(m) for m in asked], since),
    ]  # fmt: skip


def discord_gateway_down(rig: Rig, seconds: float) -> Row:
    since = time.monotonic()
    with outage(seconds, lambda: rig.discord.drop(down=True), rig.discord.restore):
        asked = [rig.ask_discord() for _ in range(3)]  # dispatched while the bot is away
    rig.settle(lambda: all(ended(rig.discord_texts(m)) for m in asked), 300)
    return tally(Row("Discord gateway dropped (RESUME replays)", f"{seconds:.0f} s"),
                 [rig.discord_posts(m) for m in asked], since)  # fmt: skip


def redis_down_while_asking(rig: Rig, seconds: float) -> Row:
    since = time.monotonic()
    with outage(seconds, rig.redis.cut, rig.redis.restore):
        threads = [rig.ask_slack("RedisDown") for _ in range(5)]
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 300)
    return tally(Row("Redis unreachable while Slack questions arrive", f"{seconds:.0f} s"),
                 [rig.slack_posts(t) for t in threads], since)  # fmt: skip


def redis_down_with_deliveries_in_flight(rig: Rig, seconds: float) -> Row:
    everything(rig.slack, True)
    threads = [rig.ask_slack("InFlight") for _ in range(3)]
    retried = rig.delivery.log.read_text().count("trying again")
    wait_until(lambda: rig.delivery.log.read_text().count("trying again") >= retried + 3,
               "the deliveries to be retrying", timeout=120)  # fmt: skip
    since = time.monotonic()
    with outage(seconds, rig.redis.cut, rig.redis.restore):
        pass
    everything(rig.slack, False)
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 900)
    alive = rig.delivery.process.poll() is None
    return tally(Row(f"Redis drops, 3 deliveries in flight (delivery worker alive: {alive})",
                     f"{seconds:.0f} s"), [rig.slack_posts(t) for t in threads], since)  # fmt: skip


def redis_restarted_empty(rig: Rig, seconds: float) -> Row:
    """Questions queued behind a stopped knowledge worker when Redis comes back without its data:
    the worker is stopped so that their tasks are surely in Redis when it is wiped."""
    rig.knowledge.stop()
    threads = [rig.ask_slack("Wiped") for _ in range(5)]
    broker = redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    wait_until(lambda: broker.llen("knowledge") >= 5, "the 5 questions queued")  # acked first
    since = time.monotonic()
    with outage(seconds, rig.redis.cut, rig.redis.restore):
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    rig.knowledge = Worker(rig.env, rig.root / f"knowledge-{next(rig._ids)}.log")
    rig.knowledge.wait_ready()
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 1200)
    return tally(Row("Redis restarted empty (5 questions queued)", f"{seconds:.0f} s"),
                 [rig.slack_posts(t) for t in threads], since)  # fmt: skip


def worker_killed_in_burst(rig: Rig, _seconds: float) -> Row:
    threads = [rig.ask_slack("Killed") for _ in range(8)]
    since = time.monotonic()
    rig.knowledge.kill()
    rig.knowledge = Worker(rig.env, rig.root / f"knowledge-{next(rig._ids)}.log")
    rig.knowledge.wait_ready()
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 1200)
    return tally(Row("knowledge worker SIGKILLed during an 8-question burst", "restarted"),
                 [rig.slack_posts(t) for t in threads], since)  # fmt: skip


def worker_down_past_expiry(rig: Rig, seconds: float) -> Row:
    rig.knowledge.stop()
    threads = []
    since = time.monotonic()
    for n in range(3):
        ts = f"{1800000000 + n}.000001"
        question = Question(platform="slack", workspace="T0001", channel="C0SUPPORT",
                            text=QUESTION, event_id=f"EvExpiry{n}")  # fmt: skip
        deliver = rig.celery.signature(
            SLACK_DELIVERY, kwargs={"channel": "C0SUPPORT", "thread_ts": ts, "message_ts": ts}
        )
        enqueue.ask(rig.celery, rig.records, question, expires_s=20, then=deliver)
        threads.append(ts)
    time.sleep(max(seconds, 25))  # the outage: longer than the 20 s expiry
    rig.knowledge = Worker(rig.env, rig.root / f"knowledge-{next(rig._ids)}.log")
    rig.knowledge.wait_ready()
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 300)
    fault = "knowledge worker down past the questions' expiry (20 s)"
    return tally(Row(fault, f"{max(seconds, 25):.0f} s"), [rig.slack_posts(t) for t in threads],
                 since)  # fmt: skip


def model_fails_for_good(rig: Rig, _seconds: float) -> Row:
    model = serve(BrokenModel)
    rig.knowledge.stop()
    url = f"http://127.0.0.1:{model.server_port}"
    broken = rig.env | {"SUPPORTBOT_GENERATOR": "hosted", "SUPPORTBOT_HOSTED_URL": url}
    rig.knowledge = Worker(broken, rig.root / "knowledge-broken.log")
    generation = start_generating(broken, rig.root / "generate-broken.log")
    rig.knowledge.wait_ready()
    generation.wait_ready()
    since = time.monotonic()
    threads = [rig.ask_slack("Broken") for _ in range(3)]
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 300)
    rig.knowledge.stop()
    generation.stop()
    model.shutdown()
    rig.knowledge = Worker(rig.env, rig.root / f"knowledge-{next(rig._ids)}.log")
    rig.knowledge.wait_ready()
    return tally(Row("the model fails every try (answer task fails for good)", "all along"),
                 [rig.slack_posts(t) for t in threads], since)  # fmt: skip


def records_down(rig: Rig, seconds: float) -> Row:
    before = rig.ask_slack("DbBefore")
    key = rig.keys[before]
    stored = wait_until(lambda: (a := rig.records.answer_for(key)) and a.message_ref and a,
                        "the first answer's post to be recorded", timeout=120)  # fmt: skip
    answer_ts = str(stored.message_ref).split("/")[1]
    voters = [f"U0V{n}" for n in range(6)]
    since = time.monotonic()
    with outage(seconds, rig.postgres.cut, rig.postgres.restore):
        threads = [rig.ask_slack("DbDown") for _ in range(2)]
        for voter in voters:
            rig.vote_slack("Db", answer_ts, voter)
    rig.settle(lambda: all(ended(rig.slack_texts(t)) for t in threads), 900)
    row = tally(Row("PostgreSQL records down (votes and questions arrive)", f"{seconds:.0f} s"),
                [rig.slack_posts(t) for t in threads], since)  # fmt: skip
    row.votes_sent = len(voters)
    wait_idle(f"redis://127.0.0.1:6379/{REDIS_DB}", timeout=900)
    stored = rig.records.answer_for(key)
    row.votes_stored = len([v for v in stored.votes if v.value == 1]) if stored else 0
    return row


Fault = Callable[[Rig, float], Row | list[Row]]


def run_rows(
    clocks: str, runs: list[tuple[Fault, float]], logs: Path | None
) -> list[tuple[str, Row]]:
    """One rig with these clocks (its own records and broker), the faults one after another;
    the processes' logs kept in `logs/CLOCKS` when given."""
    rows: list[tuple[str, Row]] = []
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres(f"faults_{clocks}") as url:
        root = logs / clocks if logs else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        rig = Rig(root, url, SHORT_CLOCKS if clocks == "short" else DEFAULT_CLOCKS)
        try:
            with connected(rig.bot, rig.discord, DISCORD_TOKEN):
                for run, seconds in runs:
                    started = time.monotonic()
                    print(f"... {clocks}: {run.__name__}", file=sys.stderr, flush=True)
                    found = run(rig, seconds)
                    for row in found if isinstance(found, list) else [found]:
                        rows.append((clocks, row))
                        print(f"    {line(clocks, row)}", file=sys.stderr, flush=True)
                    print(f"    {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        finally:
            rig.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clocks", default="short,default")
    parser.add_argument("--platform-s", type=float, default=120)
    parser.add_argument("--redis-s", type=float, default=60)
    parser.add_argument("--db-s", type=float, default=300)
    parser.add_argument("--long-platform-s", type=float, default=600)
    parser.add_argument("--only", default="", help="Only these faults (comma-separated names).")
    parser.add_argument("--logs", type=Path, help="Keep the processes' logs in this folder.")
    args = parser.parse_args()
    plans: dict[str, list[tuple[Fault, float]]] = {
        "short": [
            (slack_api_down, args.platform_s),
            (discord_api_down, args.platform_s),
            (discord_gateway_down, 30),
            (redis_down_while_asking, args.redis_s),
            (redis_down_with_deliveries_in_flight, args.redis_s),
            (worker_killed_in_burst, 0),
            (redis_restarted_empty, 5),
            (worker_down_past_expiry, 30),
            (model_fails_for_good, 0),
            (records_down, args.db_s),
        ],
        "default": [
            (both_platforms_down, args.long_platform_s),
            (redis_down_with_deliveries_in_flight, args.redis_s),
            (worker_killed_in_burst, 0),
            (redis_restarted_empty, 5),
        ],
    }
    rows: list[tuple[str, Row]] = []
    for clocks in args.clocks.split(","):
        chosen = [(run, s) for run, s in plans[clocks]
                  if not args.only or run.__name__ in args.only.split(",")]  # fmt: skip
        rows += run_rows(clocks, chosen, args.logs)
    print(f"\nFault table ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n")
    print(
        "| clocks | fault | outage | asked | answered once | told | lost | duplicated "
        "| s to outcome (median / slowest) | votes sent | votes stored |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for clocks, r in rows:
        print(line(clocks, r))


def line(clocks: str, r: Row) -> str:
    """One row of the table, as markdown."""
    votes = f"{r.votes_sent} | {r.votes_stored}" if r.votes_sent else " | "
    return (f"| {clocks} | {r.fault} | {r.outage} | {r.asked} | {r.answered_once} | {r.told} "
            f"| {r.lost} | {r.duplicated} | {r.to_outcome} | {votes} |")  # fmt: skip


if __name__ == "__main__":
    main()
