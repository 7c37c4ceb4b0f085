"""How helpful the answers are, by model revision, channel and source page, and where the docs
fall short (questions most often declined or voted down): a report a docs team can act on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from knowledge.records.store import Records
from knowledge.records.tables import StoredAnswer


@dataclass
class Rate:
    """👍 and 👎 counted over a group of answers."""

    label: str
    answers: int = 0
    up: int = 0
    down: int = 0

    @property
    def helpful(self) -> float | None:
        """Share of votes that are 👍; None with no votes."""
        return self.up / (self.up + self.down) if self.up + self.down else None


@dataclass
class Gap:
    question: str
    times: int
    declined: int = 0
    voted_down: int = 0


@dataclass
class FeedbackStats:
    overall: Rate
    by_model: list[Rate] = field(default_factory=list)
    by_channel: list[Rate] = field(default_factory=list)
    by_source: list[Rate] = field(default_factory=list)
    most_declined: list[Gap] = field(default_factory=list)
    most_voted_down: list[Gap] = field(default_factory=list)


def _model(answer: StoredAnswer) -> str:
    if answer.adapter_repo:
        return f"{answer.adapter_repo}@{answer.adapter_revision[:12]}"
    if answer.model_repo:
        return f"{answer.model_repo}@{answer.model_revision[:12]}"
    return answer.model_backend or "unknown"


def stats(store: Records, top: int = 10) -> FeedbackStats:
    with store.session() as session:
        answers = session.scalars(
            select(StoredAnswer)
            .where(StoredAnswer.delivered_at.is_not(None))  # answers people saw
            .options(selectinload(StoredAnswer.question), selectinload(StoredAnswer.votes))
        ).all()
    overall = Rate("all answers")
    groups: dict[str, dict[str, Rate]] = defaultdict(dict)
    gaps: dict[str, Gap] = {}
    for answer in answers:
        up = sum(1 for v in answer.votes if v.value > 0)
        down = sum(1 for v in answer.votes if v.value < 0)
        pages = {c["url"].split("#")[0]: c["title"] for c in answer.citations}
        keys = {
            "model": [_model(answer)],
            "channel": [f"{answer.platform}:{answer.question.channel}"],
            "source": [f"{title} <{url}>" for url, title in pages.items()],
        }
        for rate in [overall] + [
            groups[kind].setdefault(label, Rate(label))
            for kind, labels in keys.items()
            for label in labels
        ]:
            rate.answers += 1
            rate.up += up
            rate.down += down
        text = " ".join(answer.question.text.lower().split())
        gap = gaps.setdefault(text, Gap(answer.question.text, 0))
        gap.times += 1
        gap.declined += int(answer.declined)
        gap.voted_down += int(down > up)

    def ranked(kind: str) -> list[Rate]:
        return sorted(groups[kind].values(), key=lambda r: (-r.answers, r.label))

    return FeedbackStats(
        overall=overall,
        by_model=ranked("model"),
        by_channel=ranked("channel"),
        by_source=ranked("source"),
        most_declined=sorted(
            (g for g in gaps.values() if g.declined), key=lambda g: (-g.declined, g.question)
        )[:top],
        most_voted_down=sorted(
            (g for g in gaps.values() if g.voted_down), key=lambda g: (-g.voted_down, g.question)
        )[:top],
    )
