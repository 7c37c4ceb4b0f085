"""Slack end to end: signed Events API requests into the real Bolt app over HTTP, a real knowledge
worker and a real delivery worker on Redis, the real WebClient posting to a local Slack stand-in."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from bot.chat.replies import (
    ALREADY_ESCALATED,
    NOT_YOURS_TO_RESOLVE,
    already_posted,
    handoff_request,
    resolved_note,
)
from bot.slack.blocks import APPROVE, EDIT, HANDOFF, RESOLVE
from bot.slack.listeners.assistant import GREETING, LOOKING
from bot.slack.settings import SlackSettings
from knowledge.answers.refresh import NOTE
from knowledge.models import Question
from knowledge.records.store import Posted, Records
from knowledge.records.syncs import SyncLog
from knowledge.records.tables import AskedQuestion
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.answers import answered, wait_stored
from tests.support.observe import log_lines, wait_idle, wait_until, watching
from tests.support.processes import client_app, settings_from, start_answering
from tests.support.slack_api import SlackStandIn, app_mention, http_env, post_event, serve_bolt
from tests.support.webhook import WebhookReceiver

SECRET = "test-signing-secret"  # noqa: S105 - the stand-in's, not a real one
REDIS = "redis://127.0.0.1:6379/12"
IDLE_S = 3  # the server closes a connection that sends nothing for this long
QUIET = "C0QUIET"  # a channel where only mentions are answered
AUTO = "C0ASKAI"  # a channel where every new question is answered, no mention needed
DRAFTS = "C0DRAFTS"  # a channel whose answers a teammate reviews in REVIEW before they post
FRESH = "C0FRESH"  # a channel whose answers are given again when the pages they cited change
REVIEW = "C0REVIEW"
WEBHOOK_SECRET = "test-webhook-secret"  # noqa: S105 - the stand-in's


@dataclass
class Bot:
    url: str
    slack: SlackStandIn
    feedback: Records
    env: dict[str, str]
    webhook: WebhookReceiver
    delivery_log: Path

    def send(self, payload: dict, *, retry: int | None = None, secret: str = SECRET,
             timestamp: int | None = None, **form: Any) -> tuple[int, float]:  # fmt: skip
        return post_event(
            self.url, payload, secret=secret, retry=retry, timestamp=timestamp, timeout=30, **form
        )

    def settle(self) -> None:
        """Until the workers have run every task the adapter handed them (and their follow-ups)."""
        wait_idle(REDIS)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    redis.Redis.from_url(REDIS).flushdb()
    root = tmp_path_factory.mktemp("slack")
    data_dir = root / "data"
    ingest_small_docs(data_dir)
    slack = SlackStandIn().start()
    webhook = WebhookReceiver().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_GENERATOR": "extractive",
        "SUPPORTBOT_BROKER_URL": REDIS,
        **http_env(slack.url, SECRET),
        "SUPPORTBOT_SLACK_CHANNELS": json.dumps(
            {
                QUIET: {"follow_ups": False},
                AUTO: {"mode": "auto", "handoff": "<!subteam^S0HELP>"},
                DRAFTS: {"mode": "draft", "review_channel": REVIEW},
                FRESH: {"refresh": True},
            }
        ),
        "SUPPORTBOT_HANDOFF_WEBHOOK_URL": webhook.url,
        "SUPPORTBOT_HANDOFF_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SUPPORTBOT_DIGEST_TO": "slack:C0LEADS",
        "SUPPORTBOT_REPORT_URL": "https://support.example/report",
        "C_FORCE_ROOT": "1",
    }
    knowledge, delivery = start_answering(env, root)
    server = None
    try:
        knowledge.wait_ready()
        delivery.wait_ready()
        server = serve_bolt(env, idle_timeout_s=IDLE_S)
        feedback = Records(settings_from(SlackSettings, env).resolved_records_url)
        yield Bot(server.url, slack, feedback, env, webhook, root / "delivery.log")
    finally:
        if server:
            server.close()
        knowledge.stop()
        delivery.stop()
        slack.stop()
        webhook.stop()


def test_the_answer_lands_in_the_thread_with_its_sources(bot):
    status, _ = bot.send(app_mention("EvA", "can i get a refund on a yearly plan?", "1700000001.1"))
    acked = time.monotonic()
    assert status == 200
    bot.slack.wait_posts("1700000001.1")
    bot.settle()  # the delivery also clears the 👀 after posting
    (post,) = bot.slack.posts_in("1700000001.1")
    assert post.at > acked  # acknowledged before the work, not after it
    assert post.args["channel"] == "C0SUPPORT"
    blocks = (
        json.loads(post.args["blocks"])
        if isinstance(post.args["blocks"], str)
        else post.args["blocks"]
    )
    assert "14 days" in blocks[0]["text"]["text"]
    assert "[1] <https://help.example/refunds|Refunds>" in blocks[1]["elements"][0]["text"]
    reactions = [c for c in bot.slack.calls if c.method.startswith("reactions.")]
    assert [(c.method, c.args["name"]) for c in reactions][-2:] == [
        ("reactions.add", "eyes"),
        ("reactions.remove", "eyes"),
    ]


def test_a_retried_event_is_answered_once(bot):
    payload = app_mention("EvB", "how long do refunds take?", "1700000002.1")
    with watching() as log:
        assert bot.send(payload)[0] == 200
        assert bot.send(payload, retry=1)[0] == 200
        assert bot.send(payload, retry=2)[0] == 200
        log.wait_for("Event slack:T0001:EvB already taken", count=2)  # both retries refused
    bot.slack.wait_posts("1700000002.1")
    bot.settle()
    assert len(bot.slack.posts_in("1700000002.1")) == 1


def test_forged_and_stale_requests_get_401(bot):
    payload = app_mention("EvC", "refund?", "1700000003.1")
    assert bot.send(payload, secret="not-the-secret")[0] == 401  # noqa: S106
    assert bot.send(payload, timestamp=int(time.time()) - 3600)[0] == 401
    # a 401 is answered before any listener runs: there is nothing to wait for
    assert bot.slack.posts_in("1700000003.1") == []


def test_an_unsigned_body_is_refused_before_it_is_parsed_and_an_oversize_one_unread(bot):
    forged = {"Content-Type": "application/json", "X-Slack-Signature": "v0=00",
              "X-Slack-Request-Timestamp": str(int(time.time()))}  # fmt: skip
    request = urllib.request.Request(bot.url, b"{not json at all", forged)  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310 - the local test server
    assert refused.value.code == 401  # not 400: the signature is checked before parsing
    host, port = bot.url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        raw.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 200000000\r\n\r\n" + b"x" * 65536)  # fmt: skip
        assert raw.recv(64).startswith(b"HTTP/1.1 413")  # refused on its headers
    status, _ = bot.send(app_mention("EvBig", "refund?", "1700000009.1"))
    assert status == 200  # and the server serves on


def test_idle_connections_neither_starve_the_server_nor_stay_open(bot):
    host, port = bot.url.split("/")[2].split(":")
    idle = [socket.create_connection((host, int(port)), timeout=120) for _ in range(100)]
    try:
        assert bot.send(app_mention("EvIdle", "refund?", "1700000010.1"))[0] == 200
        for connection in idle:  # each is closed by the server once idle for IDLE_S
            assert connection.recv(1) == b""
    finally:
        for connection in idle:
            connection.close()


def test_when_the_queue_is_down_the_asker_is_told_and_the_claim_given_back(bot):
    down = {**bot.env, "SUPPORTBOT_BROKER_URL": "redis://127.0.0.1:1/0"}  # nothing listens
    records = Records(settings_from(SlackSettings, down).resolved_records_url)
    server = serve_bolt(down)
    try:
        payload = app_mention("EvDown", "refund?", "1700000011.1")
        assert post_event(server.url, payload, secret=SECRET, timeout=30)[0] == 200
        (told,) = bot.slack.wait_posts("1700000011.1")
        assert "can't take questions right now" in told.args["text"]
        assert records.state("slack:T0001:EvDown") is None  # a later try is taken
        assert not [
            c for c in bot.slack.named("reactions.add") if c.args["timestamp"] == "1700000011.1"
        ]
    finally:
        server.close()


def test_a_429_is_retried_after_retry_after(bot):
    bot.slack.rate_limit["chat.postMessage"] = 1
    assert bot.send(app_mention("EvD", "refund on a yearly plan?", "1700000004.1"))[0] == 200
    attempts = bot.slack.wait_posts("1700000004.1", count=2)
    assert len(attempts) == 2  # the one that got 429, then the post
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After: 1


def test_an_answer_outlasts_a_slack_outage_and_is_posted_once(bot):
    bot.slack.outage["chat.postMessage"] = 8  # twice what the client's own retries absorb
    assert bot.send(app_mention("EvOut", "refund on a yearly plan?", "1700000012.1"))[0] == 200
    bot.slack.wait_posts("1700000012.1", count=9)  # 8 refused, then the one that landed
    bot.settle()
    assert bot.slack.outage["chat.postMessage"] == 0
    assert len(bot.slack.posts_in("1700000012.1")) == 9  # and no tenth: posted once


def test_an_empty_mention_gets_a_usage_hint_and_bad_input_no_crash(bot):
    assert bot.send(app_mention("EvE", "", "1700000005.1"))[0] == 200
    (hint,) = bot.slack.wait_posts("1700000005.1")
    assert "Mention me with a question" in hint.args["text"]
    status, _ = bot.send({"type": "event_callback", "event": "not an object"})
    assert status == 400
    assert bot.send(app_mention("EvF", "refund? " + "x" * 40_000, "1700000006.1"))[0] == 200
    assert len(bot.slack.wait_posts("1700000006.1")) == 1


def test_a_burst_of_questions_is_acknowledged_and_each_answered_once(bot):
    from concurrent.futures import ThreadPoolExecutor

    threads = [f"1700001{i:03d}.9" for i in range(40)]
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(
            pool.map(
                lambda i: bot.send(app_mention(f"EvBurst{i}", "refund on yearly?", threads[i]))[0],
                range(40),
            )
        )
    assert statuses == [200] * 40  # none reset or refused under the burst
    for thread in threads:
        bot.slack.wait_posts(thread)
    bot.settle()
    assert [len(bot.slack.posts_in(t)) for t in threads] == [1] * 40


def reaction(kind: str, event_id: str, ts: str, name: str = "+1", *, on: str, by: str = "U0USER",
             author: str = "U0BOT", event_ts: str = "1700000100.000100") -> dict:  # fmt: skip
    return {
        "type": "event_callback", "team_id": "T0001", "event_id": event_id,
        "event": {"type": kind, "user": by, "reaction": name, "item_user": author,
                  "item": {"type": "message", "channel": "C0SUPPORT", "ts": on},
                  "event_ts": event_ts},
    }  # fmt: skip


def stored(bot: Bot, event_id: str, until=lambda answer: True):
    """The stored answer for a question, once `until(answer)` holds."""
    return wait_stored(bot.feedback, f"slack:T0001:{event_id}", until)


def test_reactions_and_corrections_on_an_answer_reach_the_feedback_store(bot):
    assert (
        bot.send(app_mention("EvV", "can i get a refund on a yearly plan?", "1700000007.1"))[0]
        == 200
    )
    answer = stored(bot, "EvV")
    channel, ts = answer.message_ref.split("/")
    assert channel == "C0SUPPORT" and answer.place == "C0SUPPORT/1700000007.1"

    bot.send(reaction("reaction_added", "EvV1", ts, "+1::skin-tone-2", on=ts))
    bot.send(reaction("reaction_added", "EvV2", ts, "-1", on=ts, by="U0OTHER"))
    answer = stored(bot, "EvV", lambda a: len(a.votes) == 2)
    assert {v.user: v.value for v in answer.votes} == {"U0USER": 1, "U0OTHER": -1}

    later = "1700000200.000100"
    bot.send(reaction("reaction_added", "EvV3", ts, "-1", on=ts, event_ts=later))  # replaces
    bot.send(reaction("reaction_removed", "EvV4", ts, "-1", on=ts, by="U0OTHER",
                      event_ts=later))  # takes back  # fmt: skip
    answer = stored(bot, "EvV", lambda a: {v.value for v in a.votes} == {-1, 0})
    assert {v.user: v.value for v in answer.votes} == {"U0USER": -1, "U0OTHER": 0}

    # not our message, and not a vote emoji: nothing recorded
    with watching() as log:
        bot.send(reaction("reaction_added", "EvV5", ts, "+1", on="1700000007.1", author="U0USER"))
        bot.send(reaction("reaction_added", "EvV6", ts, "tada", on=ts, by="U0THIRD"))
        log.wait_for("Ignored reaction", count=2)

    reply = {"type": "event_callback", "team_id": "T0001", "event_id": "EvV7", "event": {
        "type": "message", "channel": "C0SUPPORT", "channel_type": "channel", "user": "U0LEAD",
        "text": "Correction: yearly plans get a full refund within 14 days, then pro rata.",
        "ts": "1700000300.000100", "thread_ts": "1700000007.1",
    }}  # fmt: skip
    with watching() as log:
        bot.send(reply)
        bot.send(reply, retry=1)  # a correction is stored once per event, however often sent
        log.wait_for("Enqueued correction feedback", count=2)
    answer = stored(bot, "EvV", lambda a: len(a.corrections) == 1)
    (correction,) = answer.corrections
    assert correction.author == "U0LEAD" and correction.text.endswith("then pro rata.")
    bot.settle()
    answer = stored(bot, "EvV")
    assert len(answer.votes) == 2 and len(answer.corrections) == 1


def thread_reply(event_id: str, text: str, thread_ts: str, ts: str, *, user: str = "U0USER",
                 channel: str = "C0SUPPORT") -> dict[str, Any]:  # fmt: skip
    """A `message` event: someone's reply in a thread, without a mention of the bot."""
    return {"type": "event_callback", "team_id": "T0001", "event_id": event_id, "event": {
        "type": "message", "channel": channel, "channel_type": "channel", "user": user,
        "text": text, "ts": ts, "thread_ts": thread_ts,
    }}  # fmt: skip


def test_the_askers_next_question_in_the_thread_is_answered_without_a_mention(bot):
    thread = "1700000051.1"
    bot.send(app_mention("EvFollow", "can i get a refund on a yearly plan?", thread))
    bot.slack.wait_posts(thread)
    with watching() as log:  # replies that are not for the bot: each decided, none answered
        bot.send(thread_reply("EvFollow1", "and monthly?", thread, "1700000051.2", user="U0OTHER"))
        bot.send(thread_reply("EvFollow2", "thanks, that helps! 🙏", thread, "1700000051.3"))
        bot.send(thread_reply("EvFollow3", "// checking with finance", thread, "1700000051.4"))
        bot.send(thread_reply("EvFollow4", "<@U0LEAD> can you confirm?", thread, "1700000051.5"))
        log.wait_for("Not a follow-up", count=4)
    for why in ("not the asker", "thanks", "an aside", "it mentions someone"):
        assert log.count(f"Not a follow-up ({why}") == 1, why

    (first,) = bot.slack.posts_in(thread)
    bot.slack.replies = [
        {"ts": thread, "user": "U0USER", "text": "<@U0BOT> can i get a refund on a yearly plan?"},
        {"ts": "1700000051.15", "user": "U0BOT", "bot_id": "B0BOT", "text": first.args["text"]},
    ]
    try:
        bot.send(thread_reply("EvFollow5", "how long do refunds take?", thread, "1700000051.6"))
        answer = stored(bot, "EvFollow5")
    finally:
        bot.slack.replies = []
    follow_up = bot.feedback.question("slack:T0001:EvFollow5")
    assert [t.role for t in follow_up.history] == ["user", "assistant"]  # the thread as context
    assert answer.place == f"C0SUPPORT/{thread}" and answer.citations
    bot.slack.wait_posts(thread, count=2)
    bot.settle()
    assert len(bot.slack.posts_in(thread)) == 2  # the question and its follow-up, nothing else
    thinking = [c.args["timestamp"] for c in bot.slack.named("reactions.add")]
    assert "1700000051.6" in thinking and "1700000051.2" not in thinking


def test_a_channel_can_keep_follow_ups_to_mentions(bot):
    thread = "1700000052.1"
    mention = app_mention("EvK", "can i get a refund on a yearly plan?", thread)
    mention["event"]["channel"] = QUIET
    bot.send(mention)
    bot.slack.wait_posts(thread)
    with watching() as log:
        bot.send(thread_reply("EvK1", "and monthly?", thread, "1700000052.2", channel=QUIET))
        log.wait_for("Not a follow-up (follow-ups are off in this channel)")
    bot.settle()
    assert len(bot.slack.posts_in(thread)) == 1


def press(bot: Bot, button: str, message_ref: str, user: str, thread_ts: str) -> None:
    """A person presses one of the buttons under the answer posted as `message_ref`."""
    channel, ts = message_ref.split("/")
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user},
               "api_app_id": "A0001", "trigger_id": f"trigger-{button}",
               "container": {"type": "message", "message_ts": ts, "channel_id": channel},
               "channel": {"id": channel}, "message": {"ts": ts, "thread_ts": thread_ts},
               "actions": [{"action_id": button, "block_id": "supportbot_feedback",
                            "type": "button", "action_ts": f"{time.time():.6f}"}]}  # fmt: skip
    assert bot.send(payload, interactive=True)[0] == 200


def test_talk_to_a_person_pings_the_contact_once_and_then_a_teammate_may_close_it(bot):
    thread = "1700000053.1"
    bot.send(app_mention("EvHelp", "can i get a refund on a yearly plan?", thread))
    ref = stored(bot, "EvHelp").message_ref

    def notes(user: str) -> list[str]:
        """What only `user` was shown."""
        return [c.args["text"] for c in bot.slack.named("chat.postEphemeral")
                if c.args["user"] == user]  # fmt: skip

    press(bot, RESOLVE, ref, "U0LEAD", thread)  # not theirs: nobody asked for a person yet
    wait_until(lambda: notes("U0LEAD"), "the teammate told")
    assert notes("U0LEAD") == [NOT_YOURS_TO_RESOLVE]
    press(bot, HANDOFF, ref, "U0USER", thread)
    press(bot, HANDOFF, ref, "U0USER", thread)  # pressed twice: one ping

    def sos() -> list:
        return [c for c in bot.slack.named("reactions.add") if c.args["name"] == "sos"]

    wait_until(lambda: notes("U0USER"), "the press that came second told")  # its last step
    wait_until(sos, "the answer marked 🆘")  # the last step of the press that counted
    assert notes("U0USER") == [ALREADY_ESCALATED]
    pings = [c for c in bot.slack.posts_in(thread) if "would like a person" in c.args["text"]]
    assert [c.args["text"] for c in pings] == [handoff_request("our support team", "<@U0USER>")]
    assert [c.args["timestamp"] for c in sos()] == [ref.split("/")[1]]
    assert bot.feedback.handoff("slack", ref).escalated

    press(bot, RESOLVE, ref, "U0LEAD", thread)  # now the person who helped closes it
    bot.slack.wait_posts(thread, count=3)  # the answer, the ping, "marked resolved"
    assert bot.slack.posts_in(thread)[-1].args["text"] == resolved_note("<@U0LEAD>")
    assert bot.feedback.handoff("slack", ref).resolved
    with bot.feedback.session() as session:
        row = session.scalar(select(AskedQuestion).where(AskedQuestion.key.endswith(":EvHelp")))
        assert (row.escalated_by, row.resolved_by) == ("U0USER", "U0LEAD")


def test_an_escalation_reaches_the_ticket_webhook_signed_once_through_its_outage(bot):
    thread = "1700000056.1"
    bot.webhook.down = True
    try:
        bot.send(app_mention("EvTicket", "can i get a refund on a yearly plan?", thread))
        ref = stored(bot, "EvTicket").message_ref
        press(bot, HANDOFF, ref, "U0USER", thread)
        wait_until(lambda: len(bot.webhook.refused()) >= 2, "the receiver to refuse twice")
    finally:
        bot.webhook.down = False
    wait_until(bot.webhook.taken, "the receiver to take it")
    bot.settle()
    (taken,) = [r for r in bot.webhook.taken() if b"EvTicket" in r.body]  # once, however refused
    stamp = taken.headers["X-Supportbot-Timestamp"]
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"v1:{stamp}:".encode() + taken.body,
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert hmac.compare_digest(taken.headers["X-Supportbot-Signature"], f"v1={expected}")
    sent = json.loads(taken.body)
    assert (sent["id"], sent["asked_by"], sent["escalated_by"]) == (
        "slack:T0001:EvTicket", "U0USER", "U0USER")  # fmt: skip
    assert sent["question"] == "can i get a refund on a yearly plan?"
    assert [t["role"] for t in sent["transcript"]] == ["user", "assistant"]
    assert sent["links"][0]["url"] == "https://help.example/refunds"


def test_the_askers_check_mark_or_thanks_closes_their_question(bot):
    bot.send(app_mention("EvDone", "can i get a refund on a yearly plan?", "1700000054.1"))
    ref = stored(bot, "EvDone").message_ref
    ts = ref.split("/")[1]
    refused = "not recorded: a repeat"
    before = log_lines(bot.delivery_log, refused)
    bot.send(reaction("reaction_added", "EvDone1", ts, "white_check_mark", on=ts, by="U0OTHER"))
    wait_until(lambda: log_lines(bot.delivery_log, refused) > before, "the ✅ refused")
    assert not bot.feedback.handoff("slack", ref).resolved
    bot.send(reaction("reaction_added", "EvDone2", ts, "white_check_mark", on=ts))
    wait_until(lambda: bot.feedback.handoff("slack", ref).resolved, "closed by its asker")

    thread = "1700000055.1"
    bot.send(app_mention("EvThanks", "how long do refunds take?", thread))
    ref = stored(bot, "EvThanks").message_ref
    bot.send(thread_reply("EvThanks1", "perfect, thanks! 🙏", thread, "1700000055.2"))
    wait_until(lambda: bot.feedback.handoff("slack", ref).resolved, "closed by the thanks")
    bot.settle()
    assert len(bot.slack.posts_in(thread)) == 1  # a thank-you gets no answer of its own


def test_a_text_file_is_read_into_the_question_and_other_files_are_named_not_dropped(bot):
    thread = "1700000057.1"
    base = bot.slack.url.removesuffix("/api/")
    bot.slack.files["/files-pri/T1-F1/download/order.log"] = (
        b"2026-12-01 ERROR refund for yearly plan ORD-7781 declined: outside window\n"
    )
    files = [
        {"id": "F1", "name": "order.log", "mimetype": "text/plain", "size": 76,
         "url_private_download": f"{base}/files-pri/T1-F1/download/order.log"},
        {"id": "F2", "name": "screenshot.png", "mimetype": "image/png", "size": 48_213,
         "url_private_download": f"{base}/files-pri/T1-F2/download/screenshot.png"},
        {"id": "F3", "name": "huge.log", "mimetype": "text/plain", "size": 10_000_000,
         "url_private_download": f"{base}/files-pri/T1-F3/download/huge.log"},
        {"id": "F4", "name": "elsewhere.txt", "mimetype": "text/plain", "size": 10,
         "url_private_download": "https://attacker.example/steal-the-token.txt"},
        {"id": "F5", "name": "liar.log", "mimetype": "text/plain", "size": 10,
         "url_private_download": f"{base}/files-pri/T1-F5/download/liar.log"},
    ]  # fmt: skip
    bot.slack.files["/files-pri/T1-F5/download/liar.log"] = b"x" * 40_000  # not the 10 it said
    mention = app_mention("EvFiles", "why was my refund declined? see the log", thread)
    mention["event"]["files"] = files
    bot.send(mention)
    asked = stored(bot, "EvFiles")
    question = bot.feedback.question("slack:T0001:EvFiles")
    assert question.text.startswith("why was my refund declined? see the log")
    assert "ORD-7781 declined: outside window" in question.text  # the log, read in
    assert asked.place == f"C0SUPPORT/{thread}"
    (note,) = [c for c in bot.slack.posts_in(thread) if "I answered from your text" in
               c.args["text"]]  # fmt: skip
    assert "I can't read images yet" in note.args["text"]
    assert "“huge.log” is too large for me to read (9765 KB; I read up to 32 KB)" in note.args[
        "text"]  # fmt: skip
    assert "I couldn't open “elsewhere.txt”" in note.args["text"]  # the token stays home
    assert "I couldn't open “liar.log”" in note.args["text"]  # cut off at the limit
    assert "xxxx" not in question.text
    fetched = {c.method for c in bot.slack.calls if c.method.startswith("GET ")}
    assert fetched == {"GET /files-pri/T1-F1/download/order.log",
                       "GET /files-pri/T1-F5/download/liar.log"}  # fmt: skip


def posted(channel: str, text: str, ts: str, event_id: str, user: str = "U0USER") -> dict:
    """A `message` event: a new top-level message in a channel, mentioning nobody."""
    return {"type": "event_callback", "team_id": "T0001", "event_id": event_id, "event": {
        "type": "message", "channel": channel, "channel_type": "channel", "user": user,
        "text": text, "ts": ts}}  # fmt: skip


def test_an_auto_channel_answers_new_questions_and_hands_what_it_is_unsure_of_to_a_person(bot):
    bot.send(posted(AUTO, "can i get a refund on a yearly plan?", "1700000058.1", "EvAuto1"))
    answered = stored(bot, "EvAuto1")
    assert not answered.declined and answered.place == f"{AUTO}/1700000058.1"  # in its thread
    with watching() as log:  # not questions for the bot
        bot.send(posted(AUTO, "<@U0LEAD> lunch at noon?", "1700000058.2", "EvAuto2"))
        bot.send(posted(AUTO, "thanks all 🙏", "1700000058.3", "EvAuto3"))
        bot.send(posted(QUIET, "can i get a refund on a yearly plan?", "1700000058.4", "EvAuto4"))
        log.wait_for("Not for the bot", count=2)

    bot.send(posted(AUTO, "what will the weather be like on mars next tuesday?", "1700000059.1",
                    "EvAuto5"))  # fmt: skip
    unsure = stored(bot, "EvAuto5")
    assert unsure.declined
    (reply,) = bot.slack.wait_posts("1700000059.1")
    assert reply.args["text"] == (
        "I'm not sure our docs cover this, so I've asked <!subteam^S0HELP> to help you here."
    )  # the group is pinged for real: its mention is not escaped
    stands = bot.feedback.handoff("slack", unsure.message_ref)
    assert stands.escalated
    wait_until(lambda: [r for r in bot.webhook.taken() if b"EvAuto5" in r.body], "the ticket")
    bot.settle()
    for ts in ("1700000058.2", "1700000058.3", "1700000058.4"):
        assert bot.slack.posts_in(ts) == []
    assert bot.feedback.question("slack:T0001:EvAuto4") is None  # a mention-only channel


def parsed(value: Any) -> Any:
    """A Web API argument the client sent as JSON text (form-encoded) or as JSON."""
    return json.loads(value) if isinstance(value, str) else value


def drafted(bot: Bot, key: str) -> Any:
    """The draft of question `key` in the review channel, once posted there."""
    return wait_until(
        lambda: next((c for c in bot.slack.named("chat.postMessage") if c.args["channel"] == REVIEW
                      and key in json.dumps(c.args.get("blocks"))), None),
        f"the draft of {key} in review",
    )  # fmt: skip


def review_press(bot: Bot, button: str, draft: Any, user: str) -> None:
    """`user` presses "Post" or "Edit, then post" under a draft in the review channel."""
    (value,) = {e["value"] for b in parsed(draft.args["blocks"]) if b["type"] == "actions"
                for e in b["elements"] if e["action_id"] == button}  # fmt: skip
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user},
               "api_app_id": "A0001", "trigger_id": f"trigger-{user}",
               "container": {"type": "message", "message_ts": draft.ts, "channel_id": REVIEW},
               "channel": {"id": REVIEW}, "message": {"ts": draft.ts},
               "actions": [{"action_id": button, "block_id": "supportbot_review", "value": value,
                            "type": "button", "action_ts": f"{time.time():.6f}"}]}  # fmt: skip
    assert bot.send(payload, interactive=True)[0] == 200


def test_a_draft_channel_posts_only_what_a_teammate_approved_once_as_written_or_edited(bot):
    bot.send(posted(DRAFTS, "how long do refunds take?", "1700000061.1", "EvDraft1"))
    key = "slack:T0001:EvDraft1"
    draft = drafted(bot, key)
    wait_until(lambda: bot.feedback.state(key) == "in_review", "the draft noted as in review")
    bot.settle()
    assert bot.slack.posts_in("1700000061.1") == []  # the asker sees nothing unreviewed
    review_press(bot, APPROVE, draft, "U0LEAD")
    review_press(bot, APPROVE, draft, "U0OTHER")  # a second teammate, a moment late

    def told(user: str) -> list[str]:
        return [c.args["text"] for c in bot.slack.named("chat.postEphemeral")
                if c.args["user"] == user]  # fmt: skip

    wait_until(lambda: told("U0OTHER"), "the second teammate told")
    answer = stored(bot, "EvDraft1")
    bot.settle()
    (reply,) = bot.slack.posts_in("1700000061.1")  # posted once, to the asker's thread
    assert "refund" in reply.args["text"].lower() and answer.message_ref.endswith(reply.ts)
    assert told("U0OTHER") == [already_posted("<@U0LEAD>")]
    (marked,) = [c for c in bot.slack.named("chat.update") if c.args.get("ts") == draft.ts]
    assert "Posted to the asker by <@U0LEAD>" in json.dumps(marked.args["blocks"])
    assert answer.corrections == []  # posted as written
    with bot.feedback.session() as session:
        row = session.scalar(select(AskedQuestion).where(AskedQuestion.key == key))
        assert (row.state, row.reviewed_by) == ("delivered", "U0LEAD")

    bot.send(posted(DRAFTS, "can i get a refund on a yearly plan?", "1700000062.1", "EvDraft2"))
    draft = drafted(bot, "slack:T0001:EvDraft2")
    wait_until(lambda: bot.feedback.state("slack:T0001:EvDraft2") == "in_review", "in review")
    review_press(bot, EDIT, draft, "U0LEAD")
    (opened,) = [
        c for c in bot.slack.wait_for("views.open") if c.args["trigger_id"] == "trigger-U0LEAD"
    ]
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    written = view["blocks"][0]["element"]["initial_value"]  # the model's draft, to edit
    assert written == bot.feedback.stored_answer("slack:T0001:EvDraft2").text
    edit = "Yes: yearly plans are refunded in full within 14 days [1]. Reply here for help!"
    submission = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": "U0LEAD"},
                  "api_app_id": "A0001", "view": {
                      "id": "V0EDIT", "type": "modal", "callback_id": view["callback_id"],
                      "private_metadata": view["private_metadata"],
                      "state": {"values": {"text": {"value": {"type": "plain_text_input",
                                                              "value": edit}}}}}}  # fmt: skip
    assert bot.send(submission, interactive=True)[0] == 200
    answer = stored(bot, "EvDraft2")
    (reply,) = bot.slack.wait_posts("1700000062.1")
    assert reply.args["text"] == edit.replace("&", "&amp;")  # the edit is what the asker sees
    assert [(c.author, c.text) for c in answer.corrections] == [("U0LEAD", edit)]  # tuning data
    assert answer.text == written  # and the model's own words are kept beside it


def test_the_assistant_panel_suggests_what_people_ask_and_answers_in_its_thread(bot):
    for n, user in enumerate(["U0ANA", "U0BEN"]):  # asked by two people, and answered
        asked = Question(platform="slack", workspace="T0001", channel="C0SUPPORT", user=user,
                         text="How do I export my data?", event_id=f"EvOften{n}")  # fmt: skip
        bot.feedback.record_answer(asked, answered(), Posted(f"C0SUPPORT/{n}.5", f"C0SUPPORT/{n}"))
    opened = {"type": "assistant_thread_started", "event_ts": "1700000070.2", "assistant_thread": {
        "user_id": "U0USER", "channel_id": "D0PANEL", "thread_ts": "1700000070.1",
        "context": {"channel_id": "C0SUPPORT", "team_id": "T0001"}}}  # fmt: skip
    bot.send(
        {"type": "event_callback", "team_id": "T0001", "event_id": "EvPanel1", "event": opened}
    )
    (greeting,) = bot.slack.wait_posts("1700000070.1")
    assert greeting.args["text"] == GREETING and greeting.args["channel"] == "D0PANEL"
    (suggested,) = bot.slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert parsed(suggested.args["prompts"]) == [
        {"title": "How do I export my data?", "message": "How do I export my data?"}
    ]  # asked by one person only, the other questions of this module are not suggested

    said = {"type": "message", "channel": "D0PANEL", "channel_type": "im", "user": "U0USER",
            "text": "how long do refunds take?", "ts": "1700000071.1",
            "thread_ts": "1700000070.1"}  # fmt: skip
    bot.send({"type": "event_callback", "team_id": "T0001", "event_id": "EvPanel2", "event": said})
    (status,) = bot.slack.wait_for("assistant.threads.setStatus")
    assert (status.args["status"], status.args["thread_ts"]) == (LOOKING, "1700000070.1")
    answer = stored(bot, "EvPanel2")
    assert answer.place == "D0PANEL/1700000070.1" and not answer.declined  # in the panel's thread
    _, answer_ts = answer.message_ref.split("/")
    (posted_answer,) = [c for c in bot.slack.posts_in("1700000070.1") if c.ts == answer_ts]
    assert "refund" in posted_answer.args["text"].lower()


def test_a_vote_given_while_the_queue_is_down_is_recorded_all_the_same(bot):
    assert bot.send(app_mention("EvQ", "how long do refunds take?", "1700000013.1"))[0] == 200
    _, ts = stored(bot, "EvQ").message_ref.split("/")
    down = {**bot.env, "SUPPORTBOT_BROKER_URL": "redis://127.0.0.1:1/0"}  # nothing listens
    server = serve_bolt(down)
    try:
        vote = reaction("reaction_added", "EvQ1", ts, "+1", on=ts, by="U0VOTER")
        assert post_event(server.url, vote, secret=SECRET, timeout=30)[0] == 200
        answer = stored(bot, "EvQ", lambda a: len(a.votes) == 1)
        assert [(v.user, v.value) for v in answer.votes] == [("U0VOTER", 1)]
    finally:
        server.close()


def test_the_buttons_open_modals_whose_answers_reach_the_feedback_store(bot):
    assert bot.send(app_mention("EvW", "how long do refunds take?", "1700000008.1"))[0] == 200
    answer = stored(bot, "EvW")
    channel, ts = answer.message_ref.split("/")
    who = {"team": {"id": "T0001"}, "user": {"id": "U0USER"}, "api_app_id": "A0001"}
    for button in ("supportbot_suggest", "supportbot_why_not"):
        pressed = {**who, "type": "block_actions", "trigger_id": f"trigger-{button}",
                   "container": {"type": "message", "message_ts": ts, "channel_id": channel},
                   "channel": {"id": channel}, "actions": [{"action_id": button,
                   "block_id": "supportbot_feedback", "type": "button"}]}  # fmt: skip
        assert bot.send(pressed, interactive=True)[0] == 200
    opened = bot.slack.wait_for("views.open", 2)[-2:]
    views = [json.loads(c.args["view"]) if isinstance(c.args["view"], str) else c.args["view"]
             for c in opened]  # fmt: skip
    assert [v["callback_id"] for v in views] == ["supportbot_better_answer", "supportbot_reason"]
    assert {v["private_metadata"] for v in views} == {answer.message_ref}

    def submit(callback_id: str, text: str, view_id: str) -> str:
        replies: list[str] = []
        payload = {**who, "type": "view_submission", "view": {
            "id": view_id, "type": "modal", "callback_id": callback_id,
            "private_metadata": answer.message_ref,
            "state": {"values": {"text": {"value": {"type": "plain_text_input", "value": text}}}},
        }}  # fmt: skip
        assert bot.send(payload, interactive=True, replies=replies)[0] == 200
        return replies[0]

    assert "Please write something first." in submit("supportbot_reason", "  ", "V0")
    malformed = {**who, "type": "view_submission",  # a view with no type and no state
                 "view": {"id": "V9", "callback_id": "supportbot_reason"}}  # fmt: skip
    assert bot.send(malformed, interactive=True)[0] == 400
    submit("supportbot_reason", "It skipped the monthly plans.", "V1")
    submit("supportbot_better_answer", "Refunds take 5-10 business days [1].", "V2")
    answer = stored(bot, "EvW", lambda a: bool(a.votes) and a.votes[0].reason is not None
                    and len(a.corrections) == 1)  # fmt: skip
    (vote,) = answer.votes
    assert (vote.user, vote.value, vote.reason) == ("U0USER", -1, "It skipped the monthly plans.")
    assert answer.corrections[0].text == "Refunds take 5-10 business days [1]."


def test_a_sync_tells_its_channel_what_changed_and_an_unchanged_one_stays_quiet(bot, tmp_path):
    handbook = tmp_path / "handbook"
    handbook.mkdir()
    (handbook / "holidays.md").write_text(
        "---\ntitle: Holidays\nurl: https://handbook.example.com/holidays\n---\n"
        "The office is closed on 24 December.\n"
    )
    source = {"name": "handbook", "folder": str(handbook), "notify": "slack:C0DOCS"}
    celery = client_app(bot.env)
    log = SyncLog(bot.feedback)

    def notices() -> list:
        return [c for c in bot.slack.named("chat.postMessage") if c.args["channel"] == "C0DOCS"]

    celery.send_task("supportbot.sync", kwargs={"source": source, "run_id": "notice-1"})
    [notice] = wait_until(notices, "the sync's notice in its channel")
    assert notice.args["text"].splitlines() == [
        "Docs sync of handbook: 1 added, 0 changed, 0 removed.",
        "Added: <https://handbook.example.com/holidays|Holidays>",
    ]
    celery.send_task("supportbot.sync", kwargs={"source": source, "run_id": "notice-2"})
    wait_until(lambda: (s := log.status("notice-2")) and s.state == "done", "the second sync")
    bot.settle()
    assert len(notices()) == 1  # nothing changed: nothing said


def test_answers_whose_page_changed_are_counted_and_given_again_where_the_channel_asked(
    bot, tmp_path
):
    warranty = tmp_path / "warranty"
    warranty.mkdir()
    page = warranty / "warranty.md"
    header = "---\ntitle: Warranty\nurl: https://help.example/warranty\n---\n"
    page.write_text(header + "Every device has a warranty of 12 months from delivery.\n")
    source = {"name": "warranty", "folder": str(warranty), "notify": "slack:C0WARRANTY"}
    celery, log = client_app(bot.env), SyncLog(bot.feedback)

    def synced(run_id: str) -> None:
        celery.send_task("supportbot.sync", kwargs={"source": source, "run_id": run_id})
        wait_until(lambda: (s := log.status(run_id)) and s.state == "done", f"sync {run_id}")
        bot.settle()

    synced("warranty-1")
    asked = {FRESH: ("EvFresh", "1700000081.1"), "C0SUPPORT": ("EvStale", "1700000082.1")}
    for channel, (event_id, ts) in asked.items():
        mention = app_mention(event_id, "how long is the warranty on a device?", ts)
        mention["event"]["channel"] = channel
        bot.send(mention)
        assert "12 months" in stored(bot, event_id).text

    page.write_text(header + "Every device has a warranty of 24 months from delivery.\n")
    synced("warranty-2")
    notice = [c for c in bot.slack.named("chat.postMessage") if c.args["channel"] == "C0WARRANTY"]
    assert notice[-1].args["text"].splitlines()[-1] == (
        "2 recent answer(s) cited these pages; 1 will be answered again in their threads."
    )
    fresh_ts, stale_ts = asked[FRESH][1], asked["C0SUPPORT"][1]
    _, again = bot.slack.wait_posts(fresh_ts, count=2)  # the old answer, then the new one
    assert "24 months" in again.args["text"] and NOTE in json.dumps(parsed(again.args["blocks"]))
    assert len(bot.slack.posts_in(stale_ts)) == 1  # that channel did not ask for this
    with bot.feedback.session() as session:
        (redo,) = session.scalars(
            select(AskedQuestion).where(AskedQuestion.supersedes == "slack:T0001:EvFresh")
        ).all()
        assert redo.state == "delivered" and redo.channel == FRESH

    page.write_text(header + "Each device has a warranty of 24 months from delivery.\n")
    synced("warranty-3")  # reworded only: asked again, but nothing new to say
    with bot.feedback.session() as session:
        states = session.scalars(select(AskedQuestion.state).where(
            AskedQuestion.supersedes == redo.key)).all()  # fmt: skip
    assert states == ["unchanged"]
    assert len(bot.slack.posts_in(fresh_ts)) == 2  # nothing posted for it


def test_the_weekly_digest_names_the_gaps_and_links_the_report_without_anyones_words(bot):
    for n, text in enumerate(["can i pay with bitcoin?", "do you accept crypto payments?"]):
        bot.send(app_mention(f"EvGap{n}", text, f"170000009{n}.1"))
        assert stored(bot, f"EvGap{n}").declined
    bot.slack.outage["chat.postMessage"] = 1  # Slack stumbles once: posted all the same, once
    client_app(bot.env).send_task("supportbot.digest")
    (digest,) = wait_until(
        lambda: [c for c in bot.slack.named("chat.postMessage")
                 if c.args["channel"] == "C0LEADS" and not c.refused],
        "the digest in its channel",
    )  # fmt: skip
    lines = digest.args["text"].splitlines()
    assert lines[0].startswith("Support digest, ") and "not covered by the docs" in lines[0]
    assert any(line.endswith("a new page is needed.") for line in lines[1:-1])  # crypto
    assert lines[-1] == (
        "Questions and suggested fixes: <https://support.example/report/#gaps|the report>"
    )
    assert "bitcoin" not in digest.args["text"] and "crypto" not in digest.args["text"]
    bot.settle()
    posted = [c for c in bot.slack.named("chat.postMessage") if c.args["channel"] == "C0LEADS"]
    assert len([c for c in posted if not c.refused]) == 1


def test_the_workers_logs_carry_no_question_or_answer_text(bot):
    question = "my account number is 99-4471, can i get a refund on a yearly plan?"
    bot.send(app_mention("EvQuiet", question, "1700000095.1"))
    answer = stored(bot, "EvQuiet")
    bot.settle()
    logs = bot.delivery_log.read_text() + (bot.delivery_log.parent / "knowledge.log").read_text()
    assert "EvQuiet" in logs  # the question's key is there, to follow it
    assert "99-4471" not in logs and answer.text[:40] not in logs
