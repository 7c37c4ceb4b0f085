"""Slack payloads (recorded shapes) to neutral questions, and answers to Block Kit."""

import json
from pathlib import Path

from bot.chat.policy import ChannelPolicy
from bot.slack import translate
from bot.slack.blocks import (
    APPROVE,
    FEEDBACK_HINT,
    answer_blocks,
    draft_text,
    fallback_text,
    review_blocks,
)
from knowledge.models import Answer, Citation, ModelInfo, Question

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def test_a_mention_becomes_a_question_in_a_new_thread():
    body = load("app_mention")
    event = body["event"]
    assert translate.should_answer(event, bot_user_id="U0BOT")
    place = translate.where(event)
    assert place.thread_ts == place.message_ts == "1700000000.000100"
    policy = ChannelPolicy(collections=["billing"], handoff="<!subteam^S1>")
    question = translate.to_question(body, event, policy, [])
    assert question.text == "how do I get a refund on a yearly plan?"
    assert question.key == "slack:T0001:Ev0001"
    assert question.collections == ["billing"] and question.handoff_contact == "<!subteam^S1>"


def test_a_mention_in_a_thread_is_a_follow_up_with_history():
    body = load("thread_follow_up")
    event = body["event"]
    place = translate.where(event)
    assert place.thread_ts == "1700000000.000100" != place.message_ts
    replies = [
        {"user": "U0USER", "text": "<@U0BOT> refund on yearly?", "ts": "1700000000.000100"},
        {"user": "U0BOT", "bot_id": "B1", "text": "Within 14 days [1].", "ts": "1700000050.000200"},
        event,
    ]
    turns = translate.history(replies, "U0BOT", place.message_ts)
    assert [(t.role, t.content) for t in turns] == [
        ("user", "refund on yearly?"),
        ("assistant", "Within 14 days [1]."),
    ]
    assert translate.to_question(body, event, None, turns).text == "and on monthly plans?"


def test_bots_and_our_own_messages_are_ignored():
    event = load("app_mention")["event"]
    assert not translate.should_answer({**event, "bot_id": "B9"}, "U0BOT")
    assert not translate.should_answer({**event, "user": "U0BOT"}, "U0BOT")
    assert not translate.should_answer({**event, "subtype": "message_changed"}, "U0BOT")
    assert translate.should_answer({**event, "type": "message", "channel_type": "im"}, "U0BOT")
    assert translate.question_text("<@U0BOT>   ") == ""
    assert len(translate.question_text("x" * 50_000)) == translate.MAX_QUESTION_CHARS


def test_answer_blocks_snapshot():
    answer = Answer(
        question="q",
        standalone_question="q",
        text="Yearly plans are refunded within 14 days [1]. Use <this> & that.",
        citations=[Citation(number=1, title="Refund | policy", url="https://h/refunds#yearly")],
        confidence="high",
        model=ModelInfo(backend="extractive"),
    )
    assert answer_blocks(answer) == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Yearly plans are refunded within 14 days [1]. "
                "Use &lt;this&gt; &amp; that.",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "*Sources*\n[1] <https://h/refunds#yearly|Refund / policy>",
                }
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": FEEDBACK_HINT}]},
        {
            "type": "actions",
            "block_id": "supportbot_feedback",
            "elements": [
                {"type": "button", "action_id": "supportbot_resolve",
                 "text": {"type": "plain_text", "text": "Mark resolved"}},
                {"type": "button", "action_id": "supportbot_handoff",
                 "text": {"type": "plain_text", "text": "Talk to a person"}},
                {"type": "button", "action_id": "supportbot_suggest",
                 "text": {"type": "plain_text", "text": "Suggest a better answer"}},
                {"type": "button", "action_id": "supportbot_why_not",
                 "text": {"type": "plain_text", "text": "Not helpful? Tell us why"}},
            ],
        },
    ]  # fmt: skip


def test_a_models_mention_syntax_pings_nobody_in_drafts_or_notifications():
    written = "Ask <!channel> or <@U0ADMIN> & see <https://evil.example|here>"
    answer = Answer(question="q", standalone_question="q", text=written, confidence="low",
                    model=ModelInfo(backend="hosted"))  # fmt: skip
    for shown in (draft_text(written), fallback_text(answer)):
        assert "<" not in shown and ">" not in shown
        assert "&lt;!channel&gt;" in shown and "&amp;" in shown


def test_a_draft_for_review_pings_nobody_and_its_buttons_carry_the_question():
    asked = Question(platform="slack", workspace="T1", channel="C0ASK", user="U0ASKER",
                     text="<!channel> why is <@U0CEO> > me?", event_id="Ev1")  # fmt: skip
    answer = Answer(question="q", standalone_question="q", text="Ask <!here>", confidence="low",
                    model=ModelInfo(backend="hosted"))  # fmt: skip
    shown = json.dumps(review_blocks(asked, answer))
    assert "<!channel>" not in shown and "<!here>" not in shown and "<@U0" not in shown
    assert "<#C0ASK>" in shown  # where it was asked: a channel link, which notifies nobody
    (actions,) = [b for b in review_blocks(asked, answer) if b["type"] == "actions"]
    assert {e["value"] for e in actions["elements"]} == {asked.key}
    assert actions["elements"][0]["action_id"] == APPROVE
    done = review_blocks(asked, answer, approved_by="U0LEAD", edited=True)
    assert [b for b in done if b["type"] == "actions"] == []  # nothing more to press
    assert "Edited and posted to the asker by <@U0LEAD>" in json.dumps(done)


def test_only_vote_reactions_by_people_on_the_bots_messages_are_votes():
    event = {"type": "reaction_added", "user": "U0USER", "reaction": "-1", "item_user": "U0BOT",
             "item": {"type": "message", "channel": "C1", "ts": "1700.1"},
             "event_ts": "1700000000.5"}  # fmt: skip
    vote = translate.vote(event, "U0BOT", ["+1"], ["-1"])
    assert vote is not None
    assert (vote.kind, vote.value, vote.message_ref, vote.user) == (
        "vote",
        -1,
        "C1/1700.1",
        "U0USER",
    )
    assert vote.at.timestamp() == 1700000000.5
    removed = translate.vote({**event, "type": "reaction_removed"}, "U0BOT", ["+1"], ["-1"])
    assert removed is not None and removed.kind == "unvote"
    assert translate.vote({**event, "item_user": "U0USER"}, "U0BOT", ["+1"], ["-1"]) is None
    assert translate.vote({**event, "user": "U0BOT"}, "U0BOT", ["+1"], ["-1"]) is None
    assert translate.vote({**event, "reaction": "eyes"}, "U0BOT", ["+1"], ["-1"]) is None
    assert translate.vote({**event, "item": {"type": "file"}}, "U0BOT", ["+1"], ["-1"]) is None


def test_a_correction_is_a_persons_thread_reply_with_the_prefix():
    reply = {"type": "message", "channel": "C1", "user": "U0LEAD", "ts": "1700.9",
             "thread_ts": "1700.1", "text": "<@U0BOT> Correction: it is 30 days."}  # fmt: skip
    fix = translate.correction(reply, "U0BOT", "correction:")
    assert fix is not None
    assert (fix.place, fix.text, fix.event_id) == ("C1/1700.1", "it is 30 days.", "C1/1700.9")
    assert translate.correction({**reply, "thread_ts": None}, "U0BOT", "correction:") is None
    assert translate.correction({**reply, "bot_id": "B1"}, "U0BOT", "correction:") is None
    assert translate.correction({**reply, "text": "thanks!"}, "U0BOT", "correction:") is None


def test_a_persons_reply_inside_a_channel_thread_may_be_a_follow_up():
    reply = {"type": "message", "channel": "C1", "channel_type": "channel", "user": "U0USER",
             "text": "and monthly?", "ts": "2.0", "thread_ts": "1.0"}  # fmt: skip
    assert translate.thread_reply(reply, "U0BOT")
    assert translate.thread_reply(reply | {"subtype": "file_share"}, "U0BOT")
    assert not translate.thread_reply(reply | {"ts": "1.0"}, "U0BOT")  # the thread's first
    assert not translate.thread_reply({**reply, "thread_ts": None}, "U0BOT")  # not in a thread
    assert not translate.thread_reply(reply | {"subtype": "message_changed"}, "U0BOT")
    assert not translate.thread_reply(reply | {"bot_id": "B1"}, "U0BOT")
    assert not translate.thread_reply(reply | {"user": "U0BOT"}, "U0BOT")
    assert not translate.thread_reply(reply | {"channel_type": "im"}, "U0BOT")  # a DM question


def test_a_reply_naming_anyone_is_addressed_to_them():
    for text in ["<@U0LEAD> can you check?", "<!subteam^S1|billing> help", "<!here> anyone?",
                 "<@U0BOT> and monthly?", "ping <@W0ENT|ana>"]:  # fmt: skip
        assert translate.addresses_anyone(text), text
    assert not translate.addresses_anyone("and monthly? see <https://help.example|the page>")


def test_a_check_mark_added_on_an_answer_closes_its_question():
    added = {"type": "reaction_added", "user": "U0USER", "reaction": "white_check_mark",
             "item_user": "U0BOT", "item": {"type": "message", "channel": "C1", "ts": "5.0"},
             "event_ts": "1700000100.0"}  # fmt: skip
    marks = ["white_check_mark", "heavy_check_mark"]
    closed = translate.resolved(added, "U0BOT", marks)
    assert closed is not None
    assert (closed.kind, closed.user, closed.message_ref) == ("resolve", "U0USER", "C1/5.0")
    assert translate.resolved(added | {"type": "reaction_removed"}, "U0BOT", marks) is None
    assert translate.resolved(added | {"reaction": "+1"}, "U0BOT", marks) is None
    assert translate.resolved(added | {"item_user": "U0USER"}, "U0BOT", marks) is None  # theirs
    assert translate.resolved(added | {"user": "U0BOT"}, "U0BOT", marks) is None  # our own ✅


def test_a_decline_pings_its_configured_contact_and_nothing_else_does():
    decline = Answer(question="q", standalone_question="q", confidence="none", declined=True,
                     text="I'm not sure our docs cover this, so I've asked <!subteam^S0HELP> "
                     "to help you here.", model=ModelInfo(backend="extractive"))  # fmt: skip
    (shown,) = [b["text"]["text"] for b in answer_blocks(decline, contact="<!subteam^S0HELP>")
                if b["type"] == "section"]  # fmt: skip
    assert "<!subteam^S0HELP>" in shown
    assert fallback_text(decline, "<!subteam^S0HELP>").count("<!subteam^S0HELP>") == 1
    written = decline.model_copy(update={"declined": False, "confidence": "high"})
    assert "<!subteam" not in fallback_text(written, "<!subteam^S0HELP>")  # a model's: escaped
    forged = decline.model_copy(update={"text": "Ask <!channel> now"})
    assert "<!channel>" not in fallback_text(forged, "<!channel>")  # not a person or a group
    assert fallback_text(decline, "#help-desk") == fallback_text(decline)  # no markup to restore
