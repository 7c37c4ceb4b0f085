"""Questions and answers as the adapters and workers produce them, for feedback tests."""

from __future__ import annotations

from knowledge.models import Answer, Citation, ModelInfo, Question, Source


def asked(event_id: str, text: str = "can i get a refund on a yearly plan?", **fields) -> Question:
    return Question(
        platform=fields.pop("platform", "slack"), workspace="T1", channel="C1",
        thread=fields.pop("thread", event_id), user="U1", text=text, event_id=event_id, **fields,
    )  # fmt: skip


def answered(text: str = "Yearly plans are refunded within 14 days [1].", **fields) -> Answer:
    source = Source(doc_id="refunds", title="Refunds", url="https://help.example/refunds",
                    text="Yearly plans are refunded in full within 14 days of purchase.",
                    score=0.9, similarity=0.8)  # fmt: skip
    question = fields.pop("question", "q")
    return Answer(
        question=question, standalone_question=question, text=text,
        citations=[Citation(number=1, title="Refunds", url="https://help.example/refunds")],
        confidence=fields.pop("confidence", "high"), retrieved=[source],
        model=fields.pop("model", ModelInfo(backend="hub", repo="org/base", revision="abc",
                                            adapter_repo="org/voice", adapter_revision="r1")),
        **fields,
    )  # fmt: skip
