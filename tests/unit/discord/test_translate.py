"""Discord text to neutral questions, and answers to embeds: pure functions, no gateway."""

from bot.chat.policy import ChannelPolicy
from bot.discord import translate
from bot.discord.drafts import APPROVE, EDIT, review_message
from bot.discord.embeds import answer_message
from bot.discord.translate import Said
from knowledge.models import Answer, Citation, ModelInfo, Question

BOT_ID = 1300000000000000004


def answer(**overrides) -> Answer:
    return Answer(
        question="q",
        standalone_question="q",
        text="Yearly plans are refunded within 14 days [1].",
        citations=[Citation(number=1, title="Refunds [yearly]", url="https://h/refund (1)#a")],
        confidence="high",
        model=ModelInfo(backend="extractive"),
    ).model_copy(update=overrides)


def test_the_question_is_the_text_without_mentions_or_the_command():
    assert translate.question_text(f"<@{BOT_ID}>  how do   I <@42> pay?") == "how do I pay?"
    assert translate.after_prefix("!ask how do I pay?", "!") == " how do I pay?"
    assert translate.after_prefix("!ask", "!") == ""
    assert translate.after_prefix("!asking for a friend", "!") is None
    assert translate.after_prefix("please !ask", "!") is None
    assert len(translate.question_text("x" * 50_000)) == translate.MAX_QUESTION_CHARS


def test_bots_and_the_bot_itself_are_never_answered():
    assert translate.should_answer(author_id=1, author_is_bot=False, bot_id=BOT_ID)
    assert not translate.should_answer(author_id=2, author_is_bot=True, bot_id=BOT_ID)
    assert not translate.should_answer(author_id=BOT_ID, author_is_bot=False, bot_id=BOT_ID)


def test_a_question_carries_its_place_policy_and_history():
    turns = translate.history(
        [Said(False, f"<@{BOT_ID}> refund on yearly?"), Said(True, "Within 14 days [1]."),
         Said(False, "   ")]
    )  # fmt: skip
    question = translate.to_question(
        guild_id=7, channel_id=8, thread_id=9, user_id=10, text="and monthly?", event_id=11,
        turns=turns, policy=ChannelPolicy(collections=["billing"], handoff="<@&5>"),
    )  # fmt: skip
    assert question.key == "discord:7:11"
    assert (question.channel, question.thread) == ("8", "9")
    assert [(t.role, t.content) for t in question.history] == [
        ("user", "refund on yearly?"),
        ("assistant", "Within 14 days [1]."),
    ]
    assert question.collections == ["billing"] and question.handoff_contact == "<@&5>"
    dm = translate.to_question(
        guild_id=None, channel_id=8, thread_id=None, user_id=10, text="hi", event_id=12,
        turns=[], policy=None,
    )  # fmt: skip
    assert dm.key == "discord:dm:12" and dm.collections is None


def test_thread_names_are_cut_at_a_word():
    assert translate.thread_name("short one") == "short one"
    long = "how do I " + "really " * 30 + "reset my password"
    name = translate.thread_name(long)
    assert len(name) <= 100 and name.endswith("really…")


def test_an_answer_becomes_an_embed_with_working_numbered_links_and_no_pings():
    body = answer_message(Question(platform="discord", text="q", event_id="1"), answer())
    (embed,) = body["embeds"]
    assert embed["description"] == "Yearly plans are refunded within 14 days [1]."
    assert embed["fields"] == [
        {"name": "Sources", "value": "[1] [Refunds (yearly)](https://h/refund%20%281%29#a)",
         "inline": False}
    ]  # fmt: skip
    assert embed["footer"]["text"] == "Was this helpful? React with 👍 or 👎."
    assert body["allowed_mentions"] == {"parse": []} and "content" not in body


def test_a_draft_for_review_pings_nobody_and_once_posted_says_by_whom():
    asked = Question(platform="discord", workspace="1", channel="42", user="7",
                     text="@everyone **why** <@&99>?", event_id="1")  # fmt: skip
    answer = Answer(question="q", standalone_question="q", text="Refunds take 14 days.",
                    confidence="high", model=ModelInfo(backend="extractive"))  # fmt: skip
    body = review_message(asked, answer)
    assert body["allowed_mentions"] == {"parse": []}  # nobody is pinged from the review channel
    assert "\\*\\*why\\*\\*" in body["content"] and "<#42>" in body["content"]
    assert [b["custom_id"] for b in body["components"][0]["components"]] == [APPROVE, EDIT]
    done = review_message(asked, answer, approved_by="5")
    assert done["components"] == [] and "Posted to the asker by <@5>" in done["content"]


def test_a_handoff_pings_the_channels_contact_but_never_everyone():
    question = Question(platform="discord", text="q", event_id="1", handoff_contact="<@&5>")
    body = answer_message(question, answer(declined=True, citations=[], confidence="none"))
    assert body["content"] == "<@&5>"
    assert body["allowed_mentions"] == {"parse": ["users", "roles"]}
    assert "fields" not in body["embeds"][0]


def test_long_answers_and_many_sources_stay_within_discords_limits():
    many = [Citation(number=n, title="T" * 80, url=f"https://h/{'p' * 80}/{n}") for n in range(30)]
    body = answer_message(
        Question(platform="discord", text="q", event_id="1"),
        answer(text="word " * 2000, citations=many),
    )
    (embed,) = body["embeds"]
    assert len(embed["description"]) <= 4096
    links = embed["fields"][0]["value"].split("\n")
    assert len(embed["fields"][0]["value"]) <= 1024
    assert all(link.endswith(")") for link in links)  # whole links only
