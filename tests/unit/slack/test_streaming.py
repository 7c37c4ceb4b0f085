"""What a native stream appends, from the whole draft each time (pure), and the panel's prompts."""

from bot.slack.listeners.assistant import prompts
from bot.slack.streaming import Streamed, message_ts


def test_a_stream_appends_only_what_follows_what_it_showed():
    shown = Streamed.showing("1700.1", "Yearly plans are refunded.")
    assert Streamed.of(shown.ref) == shown and message_ts(shown.ref) == "1700.1"
    assert shown.more("Yearly plans are refunded. Within 14 days.") == " Within 14 days."
    assert shown.more("Yearly plans are refunded.") == ""  # nothing new
    assert shown.more("Monthly plans are not refunded. More.") is None  # written again
    assert shown.more("Yearly") is None  # shorter than what it showed
    assert Streamed.of("1700.2") is None and message_ts("1700.2") == "1700.2"  # an edited draft


def test_a_long_question_is_a_short_prompt_that_still_sends_it_whole():
    long = "How do I move every project, with its history and members, " * 3
    (short,) = prompts([long.strip()])
    assert short["message"] == long.strip() and len(short["title"]) <= 75
    assert short["title"].endswith("…") and not short["title"].endswith(" …")
    assert prompts(["Where is my invoice?"]) == [
        {"title": "Where is my invoice?", "message": "Where is my invoice?"}
    ]
