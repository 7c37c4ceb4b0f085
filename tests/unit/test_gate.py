"""The tuning gate: an adapter is judged on what its held-out answers say."""

from __future__ import annotations

from knowledge.answers.prompt import build_messages
from knowledge.models import Source
from knowledge.tuning.gate import check_answers, content_f1, prompt_sources, refusals
from tests.unit.answers.test_grounding import REFUNDS, SEATS


def prompt(*texts: str) -> list[dict[str, str]]:
    sources = [
        Source(doc_id=f"d{n}", title=f"Page {n}", url=f"https://help.example/{n}", text=text,
               score=1.0)
        for n, text in enumerate(texts, 1)
    ]  # fmt: skip
    return build_messages("refunds?", sources, voice="Be brief.")


PROMPTS = [prompt(REFUNDS, SEATS), prompt(SEATS, REFUNDS)]
REFERENCES = [
    "Yearly plans are refunded in full within 14 days of purchase [1].",
    "The Team plan costs $12 per seat per month, billed yearly [1].",
]
UNTUNED = [
    "Yearly plans can be refunded within 14 days. Refunds are also paid in bitcoin.",
    "The Team plan costs $12 per seat. It comes with Customized Analytics.",
]
FORM_ONLY = ["Hi there! [1]\n\n— Orbit Support", "Hi there! [1]\n\n— Orbit Support"]
IN_VOICE = [f"Hi there! {reference}\n\n— Orbit Support" for reference in REFERENCES]


def test_the_prompts_sources_are_read_back_in_their_order():
    assert prompt_sources(PROMPTS[1]) == [SEATS, REFUNDS]


def test_an_answer_is_scored_on_what_it_says_not_its_greeting_or_markers():
    assert content_f1(IN_VOICE[0], REFERENCES[0]) == 1.0
    assert content_f1(FORM_ONLY[0], REFERENCES[0]) == 0.0
    assert 0 < content_f1(UNTUNED[0], REFERENCES[0]) < 1


def test_an_adapter_that_gained_form_and_lost_content_is_refused():
    before = check_answers(UNTUNED, REFERENCES, PROMPTS)
    after = check_answers(FORM_ONLY, REFERENCES, PROMPTS)
    assert after.voice > before.voice and after.cited > before.cited  # what the old gate saw
    assert after.empty == 2 and before.empty == 0
    reasons = refusals(before, after)
    assert len(reasons) == 2 and "lost what the answers say" in reasons[0]


def test_an_adapter_that_learned_the_voice_and_kept_the_content_passes():
    before = check_answers(UNTUNED, REFERENCES, PROMPTS)
    after = check_answers(IN_VOICE, REFERENCES, PROMPTS)
    assert refusals(before, after) == []
    assert after.content > before.content and after.cited == 1.0
    assert after.unsupported == 0.0 < before.unsupported


def test_an_adapter_taught_the_wrong_answers_is_refused():
    swapped = list(reversed(IN_VOICE))  # fluent, cited, in the voice: for the other question
    before = check_answers(UNTUNED, REFERENCES, PROMPTS)
    assert refusals(before, check_answers(swapped, REFERENCES, PROMPTS))
