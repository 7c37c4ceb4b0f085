"""The grounding check: which sentences of a model's answer its sources support."""

from __future__ import annotations

import pytest

from knowledge.answers.grounding import ground, split_sentences

REFUNDS = (
    "Yearly plans are refunded in full within 14 days of purchase. Monthly plans are not "
    "refunded, but you can cancel at any time from Billing settings."
)
SEATS = "The Team plan costs $12 per seat per month, billed yearly. Seats can be added any time."


def test_a_sentence_its_source_says_is_kept_and_one_it_does_not_is_removed():
    answer = (
        "Yearly plans are refunded within 14 days of purchase [1]. "
        "You also get Customized Analytics with priority phone support [1]."
    )
    grounded = ground(answer, [REFUNDS, SEATS])
    assert grounded.text == "Yearly plans are refunded within 14 days of purchase [1]."
    assert [r.why for r in grounded.removed] == ["not in source [1]"]
    assert grounded.cited and grounded.sentences == 2


def test_a_number_the_source_does_not_state_is_never_kept():
    grounded = ground("Yearly plans are refunded within 30 days of purchase [1].", [REFUNDS])
    assert grounded.text == "" and not grounded.cited


def test_a_fact_cited_to_the_wrong_source_is_cited_to_the_one_that_holds_it():
    grounded = ground("The Team plan costs $12 per seat per month [1].", [REFUNDS, SEATS])
    assert grounded.text == "The Team plan costs $12 per seat per month [2]."
    assert grounded.recited == 1 and not grounded.removed


def test_the_bot_places_markers_only_on_the_closest_pages_but_keeps_the_models_own():
    far = "Seats can be added to the Team plan at any time from the Team page."
    uncited = ground("Seats can be added to the Team plan at any time.", [REFUNDS, REFUNDS, far],
                     placeable=2)  # fmt: skip
    assert uncited.text == "" and [r.why for r in uncited.removed] == ["uncited and unsupported"]
    cited = ground("Seats can be added to the Team plan at any time [3].", [REFUNDS, REFUNDS, far],
                   placeable=2)  # fmt: skip
    assert cited.text == "Seats can be added to the Team plan at any time [3]."


def test_a_fact_no_source_holds_is_removed_whichever_it_cites():
    grounded = ground("The Team plan costs $15 per seat per month [1].", [REFUNDS, SEATS])
    assert grounded.text == "" and [r.why for r in grounded.removed] == ["not in source [1]"]


def test_an_uncited_sentence_cites_the_first_retrieved_source_that_holds_it():
    setup = "Seats can be added to the Team plan at any time from the Team page."
    grounded = ground("Seats can be added to the Team plan at any time.", [REFUNDS, setup, SEATS])
    assert grounded.text == "Seats can be added to the Team plan at any time [2]."


def test_a_repeated_sentence_is_posted_once():
    loop = "You can cancel a monthly plan at any time from Billing settings [1]. " * 8
    grounded = ground(loop.strip(), [REFUNDS])
    assert grounded.text == "You can cancel a monthly plan at any time from Billing settings [1]."
    assert [r.why for r in grounded.removed] == ["repeated"] * 7


def test_an_uncited_sentence_a_source_supports_gains_its_marker():
    grounded = ground("Seats can be added at any time.", [REFUNDS, SEATS])
    assert grounded.text == "Seats can be added at any time [2]."


def test_a_greeting_and_a_sign_off_stay_but_an_uncited_claim_goes():
    answer = (
        "Hi there! Monthly plans are not refunded [1]. Refunds are also paid in bitcoin.\n\n"
        "— Orbit Support"
    )
    grounded = ground(answer, [REFUNDS])
    assert grounded.text == "Hi there! Monthly plans are not refunded [1].\n\n— Orbit Support"
    assert [r.why for r in grounded.removed] == ["uncited and unsupported"]


def test_a_link_the_source_does_not_hold_is_never_posted():
    answer = (
        "Monthly plans are not refunded [1]. See [Refunds](https://help.orbit.example/refunds) "
        "for the policy on monthly plans [1]. Cancel monthly plans at https://orbit.example/x [1]."
    )
    grounded = ground(answer, [REFUNDS])
    assert grounded.text == "Monthly plans are not refunded [1]."
    linked = (
        REFUNDS
        + " See [Refunds](https://help.orbit.example/refunds) for the policy on monthly plans."
    )
    kept = ground(answer, [linked]).text
    assert "](https://help.orbit.example/refunds)" in kept and "orbit.example/x" not in kept
    cut = "See [Refunds](https://help.orbit.example) for the policy on monthly plans [1]."
    assert ground(cut, [linked]).text == ""  # the start of a real link is not one


@pytest.mark.parametrize("said", ["The answer is yes.", "Sure, you can.", "No, it doesn't [1]."])
def test_a_bare_yes_or_no_is_never_kept_as_a_greeting(said):
    grounded = ground(f"{said} Monthly plans are not refunded [1].", [REFUNDS])
    assert grounded.text == "Monthly plans are not refunded [1]."
    assert [r.why for r in grounded.removed] == ["says nothing"]


@pytest.mark.parametrize(
    "piece",
    [
        "Custom icons [1].",  # too few words to claim anything
        "Billing › Refunds › Monthly plans [1].",  # a page's heading path
        "Monthly plans can be cancelled from the [1]",  # cut off where the tokens ran out
        "**Monthly plans can be cancelled** [1]",  # a heading
        "Can monthly plans be cancelled at any time? [1]",  # an FAQ's question, not its answer
    ],
)
def test_a_piece_of_a_sentence_says_nothing(piece):
    source = (
        REFUNDS + " Custom icons. Billing › Refunds › Monthly plans can be cancelled.\n"
        "**Monthly plans can be cancelled**\nCan monthly plans be cancelled at any time?"
    )
    grounded = ground(piece, [source])
    assert not grounded.cited and [r.why for r in grounded.removed] == ["says nothing"]


def test_the_prompts_own_tags_echoed_by_a_model_are_never_posted():
    answer = '<source id="1" title="Help">\nMonthly plans are not refunded [1].\n\n<question>'
    grounded = ground(answer, [REFUNDS])
    assert grounded.text == "Monthly plans are not refunded [1]."


def test_an_answer_of_greetings_alone_cites_nothing():
    assert not ground("Hi there! [1]\n\n— Orbit Support", [REFUNDS]).cited


def test_a_marker_after_the_full_stop_stays_with_its_sentence():
    assert split_sentences("Monthly plans are not refunded. [1] Cancel any time. [1][2]") == [
        ("Monthly plans are not refunded. [1]", " "),
        ("Cancel any time. [1][2]", ""),
    ]


def test_a_marker_naming_no_source_is_checked_like_no_marker():
    grounded = ground("Monthly plans are not refunded [7].", [REFUNDS])
    assert grounded.text == "Monthly plans are not refunded [1]."


@pytest.mark.parametrize("closest, kept", [(0.9, True), (0.2, False)])
def test_a_sentence_far_in_meaning_from_every_source_sentence_is_removed(closest, kept):
    def similarity(sentence: str, passages: object) -> float:
        return closest

    grounded = ground("Monthly plans are not refunded [1].", [REFUNDS], similarity)
    assert grounded.cited is kept


def test_a_not_the_source_never_says_is_removed():
    export = "You can export your workspace as CSV or JSON from Settings → Export."
    assert not ground("You cannot export your workspace as JSON [1].", [export]).cited
    assert ground("You can export your workspace as JSON [1].", [export]).cited
    assert ground("Monthly plans are not refunded [1].", [REFUNDS]).cited  # the source says not


VAULTS = (
    "You can move a local vault to another folder from the vault switcher. Vaults sync every "
    "few minutes.\n\nRemote vaults are stored on Sync servers. You cannot move a remote vault "
    "to another folder."
)


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("You can move a local vault to another folder [1].", True),
        ("You cannot move a remote vault to another folder [1].", True),
        ("You can move your remote vault to another folder [1].", False),  # the source: cannot
        ("Remote vaults can be moved from the vault switcher [1].", False),  # two places' words
        ("You can cancel a monthly plan at any time from Billing settings [1].", True),
    ],
)
def test_a_sentence_must_be_said_in_one_place_of_its_source_with_its_not(said, kept):
    """Every word of the stitched sentence is on the page, but no sentence of it says that; and
    a contrast ("not refunded, but you can cancel") is read on the side the sentence takes."""
    assert ground(said, [VAULTS + "\n\n" + REFUNDS]).cited is kept


def test_a_piece_or_a_near_copy_of_a_kept_sentence_is_a_repeat():
    answer = (
        "Monthly plans are not refunded, but you can cancel at any time [1].\n"
        "cancel at any time [1].\n"
        "Monthly plans are not refunded, and you can cancel at any time [1]."
    )
    grounded = ground(answer, [REFUNDS])
    assert grounded.text == "Monthly plans are not refunded, but you can cancel at any time [1]."
    assert [r.why for r in grounded.removed] == ["repeated", "repeated"]


def test_a_sentence_with_no_words_in_it_says_nothing():
    grounded = ground("Yearly plans are refunded within 14 days [1].\n14 [1].", [REFUNDS])
    assert grounded.text == "Yearly plans are refunded within 14 days [1]."
    assert [r.why for r in grounded.removed] == ["says nothing"]
