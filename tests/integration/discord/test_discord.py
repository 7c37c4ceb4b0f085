"""Discord end to end: the real discord.py bot connected to a local gateway stand-in (READY,
GUILD_CREATE, then MESSAGE_CREATE / INTERACTION_CREATE as Discord documents them), a real
knowledge worker and delivery worker on Redis, REST calls going to the stand-in via Route.BASE."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from bot.chat.replies import (
    ALREADY_ESCALATED,
    NOT_YOURS_TO_RESOLVE,
    already_posted,
    handoff_request,
    resolved_note,
)
from bot.discord.app import SupportBot, create_bot
from bot.discord.delivery import TASK
from bot.discord.settings import DiscordSettings
from knowledge.models import Question
from knowledge.records.store import Records, Reply
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support import discord_api
from tests.support.answers import answered, wait_stored
from tests.support.discord_api import (
    BOT,
    CHANNEL_ID,
    PERSON,
    DiscordStandIn,
    connected,
    message,
    slash_ask,
)
from tests.support.observe import log_lines, wait_idle, wait_until, watching
from tests.support.processes import client_app, settings_from, start_answering
from workers import names

REDIS = "redis://127.0.0.1:6379/10"
HELPERS = "1300000000000000099"  # the role the forum hands off to
TOKEN = "test-bot-token"  # noqa: S105 - the stand-in's, not a real one
EYES = "👀"


@dataclass
class Harness:
    discord: DiscordStandIn
    bot: SupportBot
    delivery_log: Path
    records: Records
    env: dict[str, str]

    def mention(self, text: str, **extra) -> dict:
        """A member mentions the bot in #support (or in `channel_id`)."""
        payload = message(f"<@{BOT['id']}> {text}", mentions=[BOT], **extra)
        self.discord.dispatch("MESSAGE_CREATE", payload)
        return payload

    def posts_in(self, channel_id: str) -> list:
        return [c for c in self.discord.named("create_message") if f"/{channel_id}/" in c.path]

    def wait_posts(self, channel_id: str, count: int = 1) -> list:
        """The posts in a channel or thread once there are at least `count` of them."""
        return wait_until(
            lambda: (found := self.posts_in(channel_id)) and len(found) >= count and found,
            f"{count} post(s) in {channel_id}",
        )

    def settle(self) -> None:
        """Until the workers have run every task the adapter handed them (and their follow-ups)."""
        wait_idle(REDIS)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    redis.Redis.from_url(REDIS).flushdb()
    root = tmp_path_factory.mktemp("discord")
    data_dir = root / "data"
    ingest_small_docs(data_dir)
    stand_in = DiscordStandIn().start()
    env = {
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_GENERATOR": "extractive",
        "SUPPORTBOT_BROKER_URL": REDIS,
        "SUPPORTBOT_DISCORD_TOKEN": TOKEN,
        "SUPPORTBOT_DISCORD_API_URL": stand_in.api_url,
        "SUPPORTBOT_DISCORD_GUILDS": f"[{discord_api.GUILD_ID}]",
        "SUPPORTBOT_DISCORD_CHANNELS": json.dumps(
            {
                discord_api.FORUM_ID: {"mode": "auto", "handoff": f"<@&{HELPERS}>"},
                discord_api.DRAFTS_ID: {"mode": "draft", "review_channel": discord_api.REVIEW_ID},
            }
        ),
        "C_FORCE_ROOT": "1",
    }
    knowledge, delivery = start_answering(env, root)
    try:
        knowledge.wait_ready()
        delivery.wait_ready()
        settings = settings_from(DiscordSettings, env)
        records = Records(settings.resolved_records_url)
        client = create_bot(settings, client_app(env), records)
        with connected(client, stand_in, TOKEN):
            yield Harness(stand_in, client, root / "delivery.log", records, env)
    finally:
        knowledge.stop()
        delivery.stop()
        stand_in.stop()


def test_start_up_logs_in_and_syncs_the_ask_command_to_the_configured_guild(harness):
    (identify,) = harness.discord.named("identify")
    assert identify.body["token"] == TOKEN
    assert identify.body["intents"] & (1 << 15)  # message content, for !ask and mentions
    (sync,) = harness.discord.named("sync_commands")
    assert f"/guilds/{discord_api.GUILD_ID}/commands" in sync.path
    (ask,) = sync.body
    assert ask["name"] == "ask" and ask["options"][0]["name"] == "question"
    assert ask["options"][0]["required"] is True


def test_a_mention_is_answered_in_a_thread_on_it_with_numbered_sources(harness):
    asked = harness.mention("can i get a refund on a yearly plan?")
    harness.wait_posts(asked["id"])  # a message's thread has the message's id
    harness.settle()
    (post,) = harness.posts_in(asked["id"])
    (thread,) = harness.discord.named("start_thread")[-1:]
    assert f"/channels/{CHANNEL_ID}/messages/{asked['id']}/threads" == thread.path
    assert thread.body["name"] == "can i get a refund on a yearly plan?"
    (embed,) = post.body["embeds"]
    assert "14 days" in embed["description"]
    assert embed["fields"][0]["name"] == "Sources"
    assert "[1] [Refunds](https://help.example/refunds)" in embed["fields"][0]["value"]
    assert "👍" in embed["footer"]["text"]
    assert post.body["allowed_mentions"] == {"parse": []}
    on_question = [
        c.name for c in harness.discord.calls
        if c.name.endswith("_reaction") and f"/messages/{asked['id']}/reactions/{EYES}" in c.path
    ]  # fmt: skip
    assert on_question == ["add_reaction", "remove_reaction"]
    key = f"discord:{discord_api.GUILD_ID}:{asked['id']}"
    assert harness.records.state(key) == "delivered"


def test_slash_ask_is_deferred_at_once_then_answered_by_its_follow_up(harness):
    interaction = slash_ask("how long do refunds take?")
    harness.discord.dispatch("INTERACTION_CREATE", interaction)
    (deferred,) = harness.discord.wait_for("interaction_callback", id=interaction["id"])
    assert deferred.body["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking..."
    (follow_up,) = harness.discord.wait_for("follow_up", token=interaction["token"])
    assert deferred.at < follow_up.at  # deferred at once, not after the answer
    assert follow_up.path == f"/webhooks/{discord_api.APP_ID}/{interaction['token']}"
    (embed,) = follow_up.body["embeds"]
    assert "refunded" in embed["description"]
    assert "[Refunds](https://help.example/refunds)" in embed["fields"][0]["value"]


def test_a_follow_up_outlasts_a_discord_outage_and_is_posted_once(harness):
    harness.discord.outage["follow_up"] = 6  # more than discord.py's own 5 tries
    interaction = slash_ask("can i get a refund on a yearly plan?")
    harness.discord.dispatch("INTERACTION_CREATE", interaction)
    harness.discord.wait_for("follow_up", 7, token=interaction["token"])  # 6 refused, 1 landed
    harness.settle()
    assert harness.discord.outage["follow_up"] == 0
    assert len(harness.discord.named_on("follow_up", interaction["token"])) == 7
    key = f"discord:{discord_api.GUILD_ID}:{interaction['id']}"
    assert harness.records.state(key) == "delivered"


def test_bang_ask_then_a_follow_up_in_its_thread_carries_the_thread_as_history(harness):
    first = message("!ask can i get a refund on a yearly plan?")
    harness.discord.dispatch("MESSAGE_CREATE", first)
    assert len(harness.wait_posts(first["id"])) == 1
    harness.discord.messages.setdefault(CHANNEL_ID, []).append(first)  # the thread's starter
    follow = harness.mention("and how long does it take?", channel_id=first["id"])
    harness.wait_posts(first["id"], count=2)
    harness.settle()
    posts = harness.posts_in(first["id"])
    assert len(posts) == 2
    assert str(posts[1].body["message_reference"]["message_id"]) == follow["id"]
    assert len(harness.discord.named_on("start_thread", first["id"])) == 1  # not two
    asked = harness.records.question(f"discord:{discord_api.GUILD_ID}:{follow['id']}")
    assert asked is not None
    history = [turn.model_dump() for turn in asked.history]
    assert history[0] == {"role": "user", "content": "!ask can i get a refund on a yearly plan?"}
    assert history[1]["role"] == "assistant" and "14 days" in history[1]["content"]
    assert asked.channel == CHANNEL_ID  # the parent's policy applies


def test_a_replayed_gateway_event_is_answered_once(harness):
    asked = message(f"<@{BOT['id']}> how long do refunds take?", mentions=[BOT])
    with watching() as log:
        for _ in range(3):
            harness.discord.dispatch("MESSAGE_CREATE", asked)
        log.wait_for(f"{asked['id']} already taken", count=2)  # both replays refused
    harness.wait_posts(asked["id"])
    harness.settle()
    assert len(harness.posts_in(asked["id"])) == 1
    assert len(harness.discord.named_on("start_thread", asked["id"])) == 1


def test_bots_and_the_bots_own_messages_are_ignored(harness):
    other_bot = {"id": "1300000000000000777", "username": "helper", "discriminator": "0",
                 "global_name": None, "avatar": None, "bot": True}  # fmt: skip
    from_bot = message(f"<@{BOT['id']}> refund?", author=other_bot, mentions=[BOT])
    own = message(f"<@{BOT['id']}> refund?", author=BOT, mentions=[BOT])
    plain = message("refunds are great")  # no mention, not a command
    for payload in (from_bot, own, plain):
        harness.discord.dispatch("MESSAGE_CREATE", payload)
    # The gateway's events are handled in order, and ignoring one takes no await: once a later
    # question is answered, those three were decided.
    later = harness.mention("refund on a yearly plan?")
    harness.wait_posts(later["id"])
    harness.settle()
    touched = [c for c in harness.discord.calls
               if any(p["id"] in c.path for p in (from_bot, own, plain))]  # fmt: skip
    assert touched == []


def test_a_question_asked_while_the_gateway_was_down_is_answered_once_after_resume(harness):
    resumed = len(harness.discord.named("resume"))
    harness.discord.drop(down=True)
    asked = harness.mention("can i get a refund on a yearly plan?")  # while no one listens
    harness.discord.restore()
    (posted,) = harness.wait_posts(asked["id"])
    assert "14 days" in posted.body["embeds"][0]["description"]
    assert len(harness.discord.named("resume")) == resumed + 1  # resumed, not identified again
    harness.settle()
    assert len(harness.posts_in(asked["id"])) == 1


def test_a_429_is_retried_after_retry_after(harness):
    harness.discord.rate_limit["create_message"] = 1
    asked = harness.mention("refund on a yearly plan?")
    attempts = harness.wait_posts(asked["id"], count=2)
    assert len(attempts) == 2  # the one that got 429, then the post
    assert attempts[1].at - attempts[0].at >= 1.0  # retry_after: 1.0


def test_a_permanent_error_is_logged_and_not_retried(harness):
    harness.discord.errors["start_thread"] = (403, {"code": 50001, "message": "Missing Access"})
    try:
        asked = harness.mention("refund on a yearly plan?")
        key = f"discord:{discord_api.GUILD_ID}:{asked['id']}"
        wait_until(lambda: log_lines(harness.delivery_log, "Missing Access"),
                   "the delivery to report the error")  # fmt: skip
        harness.settle()
        assert len(harness.discord.named_on("start_thread", asked["id"])) == 1
        assert harness.posts_in(asked["id"]) == []
        assert harness.records.state(key) == "undeliverable"  # answered, never posted
    finally:
        del harness.discord.errors["start_thread"]


def test_empty_huge_and_malformed_input_get_a_clear_reply_and_no_crash(harness):
    empty = harness.mention("")
    (hint,) = harness.wait_posts(CHANNEL_ID)[-1:]
    assert "Ask me a question" in hint.body["content"]
    assert str(hint.body["message_reference"]["message_id"]) == empty["id"]

    broken = slash_ask("x")
    broken["data"]["options"] = []  # a required option missing
    harness.discord.dispatch("INTERACTION_CREATE", broken)
    (reply,) = harness.discord.wait_for("interaction_callback", id=broken["id"])
    assert reply.body["type"] == 4 and "couldn't read that command" in reply.body["data"]["content"]

    huge = message("!ask refund on a yearly plan? " + "x" * 40_000)
    harness.discord.dispatch("MESSAGE_CREATE", huge)
    (post,) = harness.wait_posts(huge["id"])
    assert "14 days" in post.body["embeds"][0]["description"]
    assert harness.bot.is_ready() and not harness.bot.is_closed()


def reacted(kind: str, ref: str, emoji: str, *, user: str = discord_api.PERSON["id"],
            author: str | None = BOT["id"]) -> dict:  # fmt: skip
    """A MESSAGE_REACTION_ADD / _REMOVE payload on the message `channel/message`."""
    channel_id, message_id = ref.split("/")
    data = {"user_id": user, "channel_id": channel_id, "message_id": message_id,
            "guild_id": discord_api.GUILD_ID, "emoji": {"id": None, "name": emoji},
            "burst": False, "type": 0}  # fmt: skip
    if kind == "MESSAGE_REACTION_ADD":
        data |= {"message_author_id": author, "member": {
            "user": {**discord_api.PERSON, "id": user}, "roles": [], "joined_at": discord_api.now(),
            "deaf": False, "mute": False, "flags": 0}}  # fmt: skip
    return data


def test_reactions_and_corrections_on_an_answer_reach_the_feedback_store(harness):
    asked = harness.mention("can i get a refund on a yearly plan?")
    key = f"discord:{discord_api.GUILD_ID}:{asked['id']}"
    answer = wait_stored(harness.records, key)
    assert answer.place == asked["id"]  # posted in the thread opened on the question
    other = "1300000000000000888"
    harness.discord.dispatch("MESSAGE_REACTION_ADD", reacted("MESSAGE_REACTION_ADD",
                             answer.message_ref, "👍"))  # fmt: skip
    harness.discord.dispatch("MESSAGE_REACTION_ADD", reacted("MESSAGE_REACTION_ADD",
                             answer.message_ref, "👎", user=other))  # fmt: skip
    answer = wait_stored(harness.records, key, lambda a: len(a.votes) == 2)
    assert {v.user: v.value for v in answer.votes} == {discord_api.PERSON["id"]: 1, other: -1}
    harness.discord.dispatch("MESSAGE_REACTION_REMOVE", reacted("MESSAGE_REACTION_REMOVE",
                             answer.message_ref, "👎", user=other))  # fmt: skip
    answer = wait_stored(harness.records, key, lambda a: 0 in {v.value for v in a.votes})
    assert {v.user: v.value for v in answer.votes} == {discord_api.PERSON["id"]: 1, other: 0}
    # on someone else's message, or not a vote emoji: nothing
    harness.discord.dispatch("MESSAGE_REACTION_ADD", reacted("MESSAGE_REACTION_ADD",
                             answer.message_ref, "👍", user="1300000000000000999",
                             author=discord_api.PERSON["id"]))  # fmt: skip
    harness.discord.dispatch("MESSAGE_REACTION_ADD", reacted("MESSAGE_REACTION_ADD",
                             answer.message_ref, "🎉", user="1300000000000000999"))  # fmt: skip

    fix = message("correction: yearly plans are refunded in full within 14 days.",
                  channel_id=answer.place)  # fmt: skip
    with watching() as log:
        harness.discord.dispatch("MESSAGE_CREATE", fix)
        harness.discord.dispatch("MESSAGE_CREATE", fix)  # a replayed event: stored once
        # both handed on (and, handled in order, the ignored reactions before them decided)
        log.wait_for("Enqueued correction feedback", count=2)
    answer = wait_stored(harness.records, key, lambda a: len(a.corrections) == 1)
    assert answer.corrections[0].text == "yearly plans are refunded in full within 14 days."
    harness.settle()
    answer = wait_stored(harness.records, key)
    assert len(answer.votes) == 2 and len(answer.corrections) == 1
    assert len(harness.posts_in(answer.place)) == 1  # the answer; the correction got no reply


def test_the_buttons_open_modals_whose_answers_reach_the_feedback_store(harness):
    asked = harness.mention("how long do refunds take?")
    key = f"discord:{discord_api.GUILD_ID}:{asked['id']}"
    answer = wait_stored(harness.records, key)
    (post,) = harness.posts_in(answer.place)
    buttons = post.body["components"][0]["components"]
    assert [b["custom_id"] for b in buttons][-2:] == ["supportbot:suggest", "supportbot:why_not"]
    channel_id, message_id = answer.message_ref.split("/")
    posted = next(m for m in harness.discord.messages[channel_id] if m["id"] == message_id)

    modals = {}
    for button in ("supportbot:suggest", "supportbot:why_not"):
        click = discord_api.clicked(button, posted, channel_id=channel_id)
        harness.discord.dispatch("INTERACTION_CREATE", click)
        (opened,) = harness.discord.wait_for("interaction_callback", id=click["id"])
        assert opened.body["type"] == 9  # MODAL
        modals[button] = opened.body["data"]["custom_id"]
    assert modals == {"supportbot:suggest": f"supportbot:correction:{answer.message_ref}",
                      "supportbot:why_not": f"supportbot:reason:{answer.message_ref}"}  # fmt: skip

    typed = [(modals["supportbot:why_not"], "It skipped monthly plans."),
             (modals["supportbot:suggest"], "Refunds take 5-10 days [1].")]  # fmt: skip
    for custom_id, text in typed:
        sent = discord_api.submitted(custom_id, text, channel_id=channel_id)
        harness.discord.dispatch("INTERACTION_CREATE", sent)
        (thanks,) = harness.discord.wait_for("interaction_callback", id=sent["id"])
        assert thanks.body["type"] == 4 and thanks.body["data"]["flags"] == 64  # ephemeral
    answer = wait_stored(
        harness.records, key,
        lambda a: bool(a.votes) and a.votes[0].reason is not None and len(a.corrections) == 1,
    )  # fmt: skip
    (vote,) = answer.votes
    assert (vote.user, vote.value) == (discord_api.PERSON["id"], -1)
    assert vote.reason == "It skipped monthly plans."
    assert answer.corrections[0].text == "Refunds take 5-10 days [1]."


def test_talk_to_a_person_pings_once_and_only_the_asker_or_a_helper_closes_it(harness):
    asked = harness.mention("can i get a refund on a yearly plan?")
    answer = wait_stored(harness.records, f"discord:{discord_api.GUILD_ID}:{asked['id']}")
    (post,) = harness.posts_in(answer.place)
    buttons = [b["custom_id"] for b in post.body["components"][0]["components"]]
    assert buttons[:2] == ["supportbot:resolve", "supportbot:handoff"]
    channel_id, message_id = answer.message_ref.split("/")
    posted = next(m for m in harness.discord.messages[channel_id] if m["id"] == message_id)

    def press(button: str, by: dict = PERSON) -> dict:
        click = discord_api.clicked(button, posted, channel_id=channel_id)
        click["member"]["user"] = by
        harness.discord.dispatch("INTERACTION_CREATE", click)
        (said,) = harness.discord.wait_for("interaction_callback", id=click["id"])
        return said.body

    helper = PERSON | {"id": "1300000000000000077", "username": "lead"}
    refused = press("supportbot:resolve", by=helper)["data"]  # no person was asked for yet
    assert (refused["content"], refused["flags"]) == (NOT_YOURS_TO_RESOLVE, 64)  # theirs alone
    pinged = press("supportbot:handoff")
    assert pinged["type"] == 4
    assert pinged["data"]["content"] == handoff_request("our support team", f"<@{PERSON['id']}>")
    assert set(pinged["data"]["allowed_mentions"]["parse"]) == {"users", "roles"}  # it pings
    again = press("supportbot:handoff", by=helper)["data"]
    assert (again["content"], again["flags"]) == (ALREADY_ESCALATED, 64)
    closed = press("supportbot:resolve", by=helper)  # a person was asked for: the helper may
    assert closed["data"]["content"] == resolved_note(f"<@{helper['id']}>")
    marks = harness.discord.wait_for("add_reaction", 2, message=f"/messages/{message_id}/")
    assert sorted(urllib.parse.unquote(c.path.split("/")[-2]) for c in marks) == ["✅", "🆘"]
    stands = harness.records.handoff("discord", answer.message_ref)
    assert stands.escalated and stands.resolved


def test_the_askers_check_mark_closes_their_question_and_nobody_elses_does(harness):
    asked = harness.mention("how long do refunds take?")
    answer = wait_stored(harness.records, f"discord:{discord_api.GUILD_ID}:{asked['id']}")
    add, other, refused = "MESSAGE_REACTION_ADD", "1300000000000000888", "not recorded: a repeat"
    before = log_lines(harness.delivery_log, refused)
    harness.discord.dispatch(add, reacted(add, answer.message_ref, "✅", user=other))
    wait_until(lambda: log_lines(harness.delivery_log, refused) > before, "the ✅ refused")
    assert not harness.records.handoff("discord", answer.message_ref).resolved
    harness.discord.dispatch(add, reacted(add, answer.message_ref, "✅"))
    wait_until(lambda: harness.records.handoff("discord", answer.message_ref).resolved, "closed")

    asked = harness.mention("can i get a refund on a yearly plan?")  # and a thank-you in its thread
    answer = wait_stored(harness.records, f"discord:{discord_api.GUILD_ID}:{asked['id']}")
    harness.discord.dispatch("MESSAGE_CREATE", message("thanks, that worked! 🙏",
                                                       channel_id=answer.place))  # fmt: skip
    wait_until(lambda: harness.records.handoff("discord", answer.message_ref).resolved, "thanked")
    harness.settle()
    assert len(harness.posts_in(answer.place)) == 1  # and no answer to the thanks


def test_a_text_file_is_read_into_the_question_and_an_image_is_named_not_dropped(harness):
    cdn = harness.discord.api_url.removesuffix("/api/v10")
    harness.discord.files["/attachments/1/2/order.log"] = b"ERROR refund ORD-7781 declined\n"
    log, png = f"{cdn}/attachments/1/2/order.log", f"{cdn}/attachments/1/3/screen.png"
    files = [
        {"id": discord_api.snowflake(), "filename": "order.log", "size": 31, "url": log,
         "proxy_url": log, "content_type": "text/plain"},
        {"id": discord_api.snowflake(), "filename": "screen.png", "size": 48213, "url": png,
         "proxy_url": png, "content_type": "image/png", "width": 800, "height": 600},
    ]  # fmt: skip
    asked = harness.mention("why was my refund declined?", attachments=files)
    wait_stored(harness.records, f"discord:{discord_api.GUILD_ID}:{asked['id']}")
    question = harness.records.question(f"discord:{discord_api.GUILD_ID}:{asked['id']}")
    assert question.text.startswith("why was my refund declined?")
    assert "ORD-7781 declined" in question.text
    (note,) = [c for c in harness.discord.named("create_message")
               if "I can't read images yet" in c.body.get("content", "")]  # fmt: skip
    assert note.body["content"] == "I can't read images yet; I answered from your text."
    assert [c.path for c in harness.discord.named("cdn")] == ["/attachments/1/2/order.log"]


def forum_post(text: str) -> dict:
    """A member opens a post in the auto-answered forum: its thread, then its first message
    (which has the thread's id), mentioning nobody."""
    post_id = discord_api.snowflake()
    opened = discord_api.thread(post_id, text[:40], parent_id=discord_api.FORUM_ID,
                                owner_id=PERSON["id"])  # fmt: skip
    return {"thread": opened, "message": message(text, channel_id=post_id, id=post_id)}


def test_a_forum_post_is_answered_in_it_and_one_the_bot_is_unsure_of_pings_the_helpers(harness):
    for opened in (
        post := forum_post("can i get a refund on a yearly plan?"),
        unsure := forum_post("what will the weather be like on mars next tuesday?"),
    ):
        harness.discord.dispatch("THREAD_CREATE", opened["thread"])
        harness.discord.dispatch("MESSAGE_CREATE", opened["message"])  # fmt: skip
    key = f"discord:{discord_api.GUILD_ID}:{post['message']['id']}"
    answered = wait_stored(harness.records, key)
    assert not answered.declined and answered.place == post["message"]["id"]  # in the post
    (reply,) = harness.wait_posts(post["message"]["id"])
    assert "14 days" in reply.body["embeds"][0]["description"]

    key = f"discord:{discord_api.GUILD_ID}:{unsure['message']['id']}"
    handed = wait_stored(harness.records, key)
    assert handed.declined
    (ping,) = harness.wait_posts(unsure["message"]["id"])
    assert ping.body["content"] == f"<@&{HELPERS}>"  # the helpers' role, pinged for real
    assert ping.body["allowed_mentions"] == {"parse": ["users", "roles"]}
    assert ping.body["embeds"][0]["description"].startswith("I'm not sure our docs cover this")
    assert harness.records.handoff("discord", handed.message_ref).escalated


def test_a_draft_channel_posts_only_what_a_teammate_approved_once_as_written_or_edited(harness):
    review, lead = discord_api.REVIEW_ID, PERSON | {"id": "1300000000000000077", "username": "lead"}

    def ask(text: str) -> tuple[str, dict]:
        """A question in the draft channel, and its draft once it is in review."""
        asked = message(text, channel_id=discord_api.DRAFTS_ID)
        harness.discord.dispatch("MESSAGE_CREATE", asked)
        key = f"discord:{discord_api.GUILD_ID}:{asked['id']}"
        wait_until(lambda: harness.records.state(key) == "in_review", "the draft in review")
        (draft,) = [m for m in harness.discord.messages[review]
                    if harness.records.under_review(f"{review}/{m['id']}") == key]  # fmt: skip
        return asked["id"], draft

    def press(button: str, draft: dict, by: dict, text: str | None = None) -> dict:
        click = discord_api.clicked(button, draft, channel_id=review)
        if text is not None:  # the modal's submission, from the draft's message
            click = discord_api.submitted(button, text, channel_id=review) | {"message": draft}
        click["member"]["user"] = by
        harness.discord.dispatch("INTERACTION_CREATE", click)
        (said,) = harness.discord.wait_for("interaction_callback", id=click["id"])
        return said.body

    asked, draft = ask("how long do refunds take?")
    assert "refund" in draft["embeds"][0]["description"].lower() and draft["components"]
    harness.settle()
    assert harness.posts_in(asked) == []  # the asker sees nothing unreviewed
    posted = press("supportbot:approve", draft, lead)
    assert posted["type"] == 7  # the draft is updated in place: who posted it, no buttons
    assert f"Posted to the asker by <@{lead['id']}>" in posted["data"]["content"]
    again = press("supportbot:approve", draft, PERSON)["data"]
    assert (again["content"], again["flags"]) == (already_posted(f"<@{lead['id']}>"), 64)
    (reply,) = harness.wait_posts(asked)
    harness.settle()
    assert len(harness.posts_in(asked)) == 1  # posted once, in a thread on the question
    assert reply.body["embeds"][0]["description"] == draft["embeds"][0]["description"]

    asked, draft = ask("can i get a refund on a yearly plan?")
    opened = press("supportbot:edit", draft, lead)
    assert opened["type"] == 9  # the modal, holding the model's draft to edit
    (field,) = [c["component"] for c in opened["data"]["components"]]
    key = f"discord:{discord_api.GUILD_ID}:{asked}"
    assert field["value"] == harness.records.stored_answer(key).text
    edit = "Yes: yearly plans are refunded in full within 14 days [1]."
    assert press(opened["data"]["custom_id"], draft, lead, text=edit)["type"] == 7
    (reply,) = harness.wait_posts(asked)
    assert reply.body["embeds"][0]["description"] == edit  # the edit is what the asker sees
    answer = wait_stored(harness.records, key)
    assert [(c.author, c.text) for c in answer.corrections] == [(lead["id"], edit)]


def test_a_sync_tells_its_channel_what_changed_without_previews_or_mentions(harness, tmp_path):
    handbook = tmp_path / "handbook"
    handbook.mkdir()
    (handbook / "holidays.md").write_text(
        "---\ntitle: Holidays [2026]\nurl: https://handbook.example.com/holidays\n---\n"
        "The office is closed on 24 December. Ask @everyone in HR.\n"
    )
    source = {"name": "handbook", "folder": str(handbook), "notify": "discord:777000777"}
    client_app(harness.env).send_task("supportbot.sync", kwargs={"source": source})
    [notice] = harness.wait_posts("777000777")
    assert notice.body["content"].splitlines() == [
        "Docs sync of handbook: 1 added, 0 changed, 0 removed.",
        "Added: [Holidays (2026)](https://handbook.example.com/holidays)",
    ]
    assert notice.body["flags"] == 4 and notice.body["allowed_mentions"] == {"parse": []}


def test_a_question_waiting_behind_others_is_told_its_place_then_answered(harness):
    """The sweeper's place-in-line message through the real delivery worker: a slash command's
    "thinking…" becomes it, edited as the line moves, and it goes once the answer is posted."""
    token, reply, question = claimed_slash_command(harness, "EvWaiting")
    app = client_app(harness.env)
    told = {"reply": reply, "key": question.key}
    app.send_task(names.place_in_line(TASK), kwargs=told | {"ahead": 2, "placeholder": ""})
    (edited,) = harness.discord.wait_for("edit_original", token=token)
    assert "2 questions are ahead of yours" in edited.body["content"]
    assert edited.body["allowed_mentions"] == {"parse": []}
    wait_until(lambda: harness.records.placeholder(question.key) == "@original", "it noted")
    app.send_task(names.place_in_line(TASK), kwargs=told | {"ahead": 0, "placeholder": "@original"})
    later = harness.discord.wait_for("edit_original", count=2, token=token)[-1]
    assert "Yours is next" in later.body["content"]

    answer_now(harness, question, reply)
    (follow_up,) = harness.discord.wait_for("follow_up", token=token)
    (deleted,) = harness.discord.wait_for("delete_original", token=token)
    assert follow_up.at < deleted.at  # the answer is in before the place-in-line message goes
    assert "14 days" in follow_up.body["embeds"][0]["description"]
    wait_until(lambda: harness.records.state(question.key) == "delivered", "the post recorded")


def test_a_mention_waiting_behind_others_gets_a_reply_that_goes_once_answered(harness):
    asked = message("how long do refunds take?")  # as the adapter saw it; its 👀 is not needed
    reply = {"kind": "message", "channel_id": CHANNEL_ID, "message_id": asked["id"],
             "thread_name": "how long do refunds take?", "start_thread": True}  # fmt: skip
    question = Question(platform="discord", workspace=discord_api.GUILD_ID, channel=CHANNEL_ID,
                        text="how long do refunds take?", event_id=asked["id"])  # fmt: skip
    assert harness.records.claim(question, Reply(TASK, {"reply": reply}))
    app = client_app(harness.env)
    app.send_task(
        names.place_in_line(TASK),
        kwargs={"reply": reply, "key": question.key, "ahead": 1, "placeholder": ""},
    )
    told = wait_until(lambda: [c for c in harness.posts_in(CHANNEL_ID)
                               if "1 question is ahead" in (c.body or {}).get("content", "")],
                      "the reply in the channel")  # fmt: skip
    assert told[0].body["message_reference"]["message_id"] == asked["id"]
    placeholder = wait_until(lambda: harness.records.placeholder(question.key), "it noted")

    answer_now(harness, question, reply)
    harness.wait_posts(asked["id"])  # the answer, in a thread on the question
    (deleted,) = harness.discord.wait_for("delete_message", id=placeholder)
    assert deleted.path == f"/channels/{CHANNEL_ID}/messages/{placeholder}"


def test_an_answer_being_written_shows_in_the_slash_commands_response_until_it_is_posted(harness):
    token, reply, question = claimed_slash_command(harness, "EvDraft")
    app = client_app(harness.env)

    def draft(text: str) -> None:
        app.send_task(names.draft(TASK), kwargs={"reply": reply, "key": question.key, "text": text})

    draft("Yearly plans are refunded")
    (drafted,) = harness.discord.wait_for("edit_original", token=token)
    assert drafted.body["content"] == "Yearly plans are refunded …"
    draft("Yearly plans are refunded within")
    later = harness.discord.wait_for("edit_original", count=2, token=token)[-1]
    assert later.body["content"] == "Yearly plans are refunded within …"

    assert harness.records.record_answer(question, answered(question=question.text))
    draft("Yearly plans are refunded within 14")  # once the answer is written: changes nothing
    deliver(harness, question, reply)
    harness.discord.wait_for("follow_up", token=token)
    harness.discord.wait_for("delete_original", token=token)
    harness.settle()
    assert len(harness.discord.named_on("edit_original", token)) == 2


def claimed_slash_command(harness: Harness, event_id: str) -> tuple[str, dict, Question]:
    """A `/ask` claimed as the adapter claims it: (its interaction token, where its reply goes,
    the question)."""
    token = f"interaction-token-{event_id}"
    reply = {"kind": "interaction", "application_id": discord_api.APP_ID, "token": token}
    question = Question(platform="discord", workspace=discord_api.GUILD_ID, channel=CHANNEL_ID,
                        text="how long do refunds take?", event_id=event_id)  # fmt: skip
    assert harness.records.claim(question, Reply(TASK, {"reply": reply}))
    return token, reply, question


def answer_now(harness: Harness, question: Question, reply: dict) -> None:
    """The answer written, and handed to the delivery worker, as the chain does."""
    assert harness.records.record_answer(question, answered(question=question.text))
    deliver(harness, question, reply)


def deliver(harness: Harness, question: Question, reply: dict) -> None:
    result = {"question": question.model_dump(mode="json"),
              "answer": answered(question=question.text).model_dump(mode="json")}  # fmt: skip
    client_app(harness.env).send_task(TASK, args=(result,), kwargs={"reply": reply})
