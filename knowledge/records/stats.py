"""How helpful the answers are, by model revision, channel and source page, and where the docs
fall short (questions most often declined or voted down): a report a docs team can act on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from knowledge.records.rows import utc
from knowledge.records.store import Records
from knowledge.records.tables import AskedQuestion, StoredAnswer, Vote


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
class Outcomes:
    """What became of one channel's questions: answered or declined, closed by the bot's answer
    alone or by a person it was handed to, and those still open a day after they were asked."""

    label: str
    asked: int = 0
    answered: int = 0
    declined: int = 0
    resolved_by_bot: int = 0
    escalated: int = 0
    resolved_by_person: int = 0
    open_after_a_day: int = 0


@dataclass
class FeedbackStats:
    overall: Rate
    by_model: list[Rate] = field(default_factory=list)
    by_channel: list[Rate] = field(default_factory=list)
    by_source: list[Rate] = field(default_factory=list)
    most_declined: list[Gap] = field(default_factory=list)
    most_voted_down: list[Gap] = field(default_factory=list)
    outcomes: list[Outcomes] = field(default_factory=list)


def outcomes(store: Records, now: datetime) -> list[Outcomes]:
    """Every question's outcome, per channel (busiest first), then all channels together."""
    with store.session() as session:
        rows = session.execute(
            select(AskedQuestion.platform, AskedQuestion.channel, AskedQuestion.asked_at,
                   AskedQuestion.escalated_at, AskedQuestion.resolved_at, StoredAnswer.declined)
            .outerjoin(StoredAnswer)
        ).all()  # fmt: skip
    channels: dict[str, Outcomes] = {}
    total = Outcomes("all channels")
    for row in rows:
        label = f"{row.platform}:{row.channel}" if row.channel else f"{row.platform}: (direct)"
        for counts in (channels.setdefault(label, Outcomes(label)), total):
            counts.asked += 1
            counts.answered += row.declined is False
            counts.declined += row.declined is True
            counts.escalated += row.escalated_at is not None
            if row.resolved_at is not None:
                if row.escalated_at is None:
                    counts.resolved_by_bot += 1
                else:
                    counts.resolved_by_person += 1
            elif now - utc(row.asked_at) > timedelta(days=1):
                counts.open_after_a_day += 1
    ranked = sorted(channels.values(), key=lambda o: (-o.asked, o.label))
    return [*ranked, total] if rows else []


def most_asked(
    store: Records, platform: str, *, since: datetime, limit: int = 4, askers: int = 2
) -> list[str]:
    """The questions most people asked on `platform` since then and got an answer to: what to
    suggest to the next person. Only questions at least `askers` different people asked, none
    that needed its thread to make sense (so one person's words never reach someone else), and
    none declined or voted down (a suggestion should lead to a good answer)."""
    with store.session() as session:
        rows = session.execute(
            select(AskedQuestion.text, AskedQuestion.user, AskedQuestion.history,
                   StoredAnswer.declined, StoredAnswer.votes.any(Vote.value < 0).label("down"))
            .join(StoredAnswer)
            .where(AskedQuestion.platform == platform, AskedQuestion.asked_at >= since,
                   StoredAnswer.delivered_at.is_not(None))
        ).all()  # fmt: skip
    who: dict[str, set[str]] = defaultdict(set)
    shown: dict[str, str] = {}
    bad: set[str] = set()
    for row in rows:
        if row.history:
            continue
        same = " ".join(row.text.lower().split()).rstrip("?!. ")
        who[same].add(row.user)
        shown.setdefault(same, " ".join(row.text.split()))
        if row.declined or row.down:
            bad.add(same)
    ranked = sorted((s for s in who if len(who[s]) >= askers and s not in bad),
                    key=lambda s: (-len(who[s]), s))  # fmt: skip
    return [shown[s] for s in ranked[:limit]]


def _model(answer: StoredAnswer) -> str:
    if answer.adapter_repo:
        return f"{answer.adapter_repo}@{answer.adapter_revision[:12]}"
    if answer.model_repo:
        return f"{answer.model_repo}@{answer.model_revision[:12]}"
    return answer.model_backend or "unknown"


def stats(store: Records, top: int = 10, now: datetime | None = None) -> FeedbackStats:
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
        outcomes=outcomes(store, now or datetime.now(UTC)),
    )
