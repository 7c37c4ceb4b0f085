"""Whether an answer given again after its docs changed says something new (pure)."""

from knowledge.answers.refresh import differs
from knowledge.models import Affected, Answer, Citation, ModelInfo, SyncReport
from knowledge.sync.notice import stale


def said(text: str, *, url: str = "https://help.example/warranty", declined: bool = False):
    cited = [] if declined else [Citation(number=1, title="Warranty", url=url)]
    return Answer(question="q", standalone_question="q", text=text, citations=cited,
                  confidence="none" if declined else "high", declined=declined,
                  model=ModelInfo(backend="extractive"))  # fmt: skip


def test_rewording_is_not_news_but_a_number_a_page_or_a_decline_is():
    old = said("Every device has a warranty of 12 months from delivery [1].")
    assert not differs(old, said("Each device has a warranty of 12 months from delivery [1]."))
    assert not differs(old, said("Every device has a warranty of 12 months from delivery [2]."))
    assert differs(old, said("Every device has a warranty of 24 months from delivery [1]."))
    assert differs(old, said("Every device is covered by a separate insurance plan now [1]."))
    moved = said("Every device has a warranty of 12 months from delivery [1].",
                 url="https://help.example/guarantee")  # fmt: skip
    assert differs(old, moved)
    gone = said("I can't find that in our docs.", declined=True)
    assert differs(old, gone) and not differs(gone, gone)


def test_the_notice_counts_the_answers_a_sync_made_stale():
    report = SyncReport(source="help", kind="folder", started_at="2026-12-07T00:00:00Z")
    assert stale(report) == ""
    report.affected = [Affected(key="k1", channel="slack:C1", asked_again=True),
                       Affected(key="k2", channel="slack:C2")]  # fmt: skip
    assert stale(report) == (
        "2 recent answer(s) cited these pages; 1 will be answered again in their threads."
    )
