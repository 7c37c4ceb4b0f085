"""Questions and answers as the adapters and workers produce them, stored and waited for, for
the feedback tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from knowledge.models import Answer, Citation, ModelInfo, Question, Source
from knowledge.records.export import Consent
from knowledge.records.store import Posted, Records
from knowledge.records.tables import StoredAnswer
from tests.support.observe import wait_until


def asked(event_id: str, text: str = "can i get a refund on a yearly plan?", **fields) -> Question:
    return Question(
        platform=fields.pop("platform", "slack"), workspace="T1",
        channel=fields.pop("channel", "C1"), thread=fields.pop("thread", event_id),
        user=fields.pop("user", "U1"), text=text, event_id=event_id, **fields,
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


#: The workspace of `asked()`, opted in to tuning (nothing is exported from one that isn't).
OPTED_IN = Consent(workspaces=frozenset({"slack:T1"}))
TOPICS = ["password", "invoice", "export", "seats", "refund", "webhook", "theme", "backup"]


def record_rated(store: Records, count: int) -> None:
    """`count` posted answers in one consistent voice, each voted up once: SFT material."""
    for n in range(count):
        topic = TOPICS[n % len(TOPICS)]
        question = f"how do I change my {topic} settings? ({n})"
        store.record_answer(
            asked(f"Ev{n}", question),
            answered(f"You can change your {topic} in **Settings** [1].", question=question),
            Posted(f"C1/{n}.0", f"C1/{n}.0"),
        )
        store.vote("slack", f"C1/{n}.0", "U1", 1, datetime.now(UTC))


def wait_stored(
    store: Records, key: str, until: Callable[[StoredAnswer], bool] = lambda _: True,
    timeout: float = 90,
) -> StoredAnswer:  # fmt: skip
    """The stored answer to the question `key` once it is posted (its message recorded) and
    `until(answer)` holds: the answer is written before its delivery, and workers are async."""
    return wait_until(
        lambda: (
            (answer := store.answer_for(key)) is not None
            and answer.message_ref is not None
            and until(answer)
            and answer
        ),
        f"the stored answer to {key} to be as expected",
        timeout,
        every=0.1,
    )
