"""Pure rules of the feedback loop: what counts as a vote or a correction, what is personal
data, and the brand-voice markers."""

from bot.chat.reactions import correction_text, vote_value
from knowledge.records.scrub import scrub
from knowledge.tuning.voice import markers, voice_score

UP, DOWN = ["+1", "thumbsup", "👍"], ["-1", "thumbsdown", "👎"]


def test_votes_are_the_configured_emoji_in_any_skin_tone():
    assert vote_value("+1", UP, DOWN) == 1
    assert vote_value("+1::skin-tone-4", UP, DOWN) == 1
    assert vote_value("👎", UP, DOWN) == -1
    assert vote_value("eyes", UP, DOWN) is None
    assert vote_value("heart", ["heart"], []) == 1  # configurable


def test_corrections_start_with_the_prefix_in_any_case():
    assert correction_text("Correction: it's 30 days.", "correction:") == "it's 30 days."
    assert correction_text("  CORRECTION:it's 30 days", "correction:") == "it's 30 days"
    assert correction_text("correction:   ", "correction:") is None  # nothing given
    assert correction_text("I have a correction: no", "correction:") is None
    assert correction_text("correction: x", "") is None


def test_personal_data_is_replaced_by_placeholders():
    text = (
        "Ask <@U024BE7LH> or <@123456789012345678> (<@&234567890123456789>, <!subteam^S0AB1|ops>)"
        " at ada.l+help@example.co.uk or +1 (415) 555-0132; user U024BE7LH, id 123456789012345678."
        " See https://help.example/a/1234567890123456789 and step 3.2 of 10."
    )
    assert scrub(text) == (
        "Ask @someone or @someone (@team, @team) at [email] or [phone]; user [user], id [id]."
        " See https://help.example/a/1234567890123456789 and step 3.2 of 10."
    )


def test_voice_markers_follow_the_guidelines():
    good = "You can export from **Settings › Export** [1]. It takes a minute [2]."
    assert all(markers(good).values())
    chatty = "Great question! I hope this helps. " + "It is done. " * 6
    found = markers(chatty)
    assert not found["short"] and not found["cites"] and not found["no_filler"]
    assert voice_score([good, chatty]) == (1 + 0) / 2
    assert voice_score([]) == 0.0
