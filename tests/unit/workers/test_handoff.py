"""The handoff webhook's body and signature (pure)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from knowledge.models import Answer, Citation, ModelInfo, Question, Turn
from knowledge.records.store import Escalation
from workers.after_answers.handoff import payload, signature, signed_request

ASKED = Question(platform="discord", workspace="G1", channel="C1", thread="T1", user="U1",
                 text="and on monthly plans?", event_id="E2",
                 history=[Turn(role="user", content="refund on a yearly plan?"),
                          Turn(role="assistant", content="Within 14 days [1].")])  # fmt: skip
ANSWER = Answer(question="q", standalone_question="q", text="Monthly plans aren't refunded [1].",
                citations=[Citation(number=1, title="Refunds", url="https://help.example/r#m"),
                           Citation(number=2, title="Notes", url="javascript:alert(1)")],
                confidence="high", model=ModelInfo(backend="extractive"))  # fmt: skip
AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def test_the_body_holds_the_whole_thread_and_only_public_links():
    sent = payload(Escalation(ASKED, ANSWER, "U7", AT))
    assert sent["id"] == ASKED.key and sent["escalated_by"] == "U7"
    assert [t["content"] for t in sent["transcript"]] == [
        "refund on a yearly plan?", "Within 14 days [1].", "and on monthly plans?",
        "Monthly plans aren't refunded [1].",
    ]  # fmt: skip
    assert [link["url"] for link in sent["links"]] == ["https://help.example/r#m", ""]
    unanswered = payload(Escalation(ASKED, None, "U1", AT))
    assert unanswered["answer"] is None and unanswered["links"] == []
    assert unanswered["transcript"][-1] == {"role": "user", "content": "and on monthly plans?"}


def test_a_receiver_holding_the_secret_can_check_the_signature():
    request = signed_request("https://tickets.example/hook", "s3cret", {"id": "x"}, 1765100000.5)
    stamp, body = request.headers["X-Supportbot-Timestamp"], request.content
    assert stamp == "1765100000" and json.loads(body) == {"id": "x"}
    mac = hmac.new(b"s3cret", b"v1:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    assert request.headers["X-Supportbot-Signature"] == f"v1={mac}"
    assert signature("other", stamp, body) != f"v1={mac}"
    assert signature("s3cret", stamp, body + b" ") != f"v1={mac}"  # a changed body fails
    unsigned = signed_request("https://tickets.example/hook", "", {"id": "x"}, 1765100000.5)
    assert "X-Supportbot-Signature" not in unsigned.headers
