"""What a support lead reads on Monday, computed from the records: questions per day by outcome,
the gaps in the docs, the pages answers cite, and the time to answer.

The gaps are the questions the docs did not serve (declined, voted down, or handed to a person),
grouped by meaning with the bundled embedding model: questions closer than a cosine distance
fall into one group (average linkage, scipy), so "refund for yearly plan" and "money back on an
annual subscription" are one gap. Each gap says how big it is, whether it grows (this week
against the week before), three of its questions, the pages its questions came closest to, and
what to do: extend the closest page when it came close, else write a new one. Questions whose
words were removed (retention, `forget`) still count in the charts, never in a gap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import case, func, select

from knowledge.answers.evaluation import percentile
from knowledge.models import SyncReport
from knowledge.records.rows import utc
from knowledge.records.store import Records
from knowledge.records.tables import AskedQuestion, StoredAnswer, SyncRun, Vote

#: Questions closer than this cosine distance (average linkage) are one gap. Checked on the
#: bench's questions grouped against the page each one is about: 0.55 gave the best adjusted
#: Rand index on both sets (obsidian 0.07, coda 0.19; 0.45 and 0.65 were lower on each), with
#: 91% / 81% of groups about one page and 97% / 91% of a page's questions in one group.
GAP_DISTANCE = 0.55
#: Wordings grouped by meaning, the most asked first: grouping is quadratic, and embedding
#: costs about 2 ms a wording here. The rarer ones join the gap of the page they came closest to.
MOST_GROUPED = 1500
#: A gap whose questions came this close to a page (cosine similarity) is that page's to extend.
EXTEND_AT = 0.5
Embed = Callable[[list[str]], Sequence[Sequence[float]]]


@dataclass
class Day:
    """One day's questions in one channel and collection, by what became of them."""

    day: date
    channel: str
    collection: str
    asked: int = 0
    answered: int = 0
    declined: int = 0
    escalated: int = 0
    resolved: int = 0
    up: int = 0
    down: int = 0


@dataclass
class Page:
    title: str
    url: str
    cited: int = 0
    cited_voted_down: int = 0


@dataclass
class Latency:
    day: date
    answers: int
    p50_s: float
    p95_s: float


@dataclass
class Gap:
    """Questions the docs did not serve, alike in meaning."""

    size: int
    this_week: int
    last_week: int
    examples: list[str]
    pages: list[tuple[str, str, float]]  # title, url, how close its questions came
    fix: str
    why: Counter[str] = field(default_factory=Counter)  # declined, voted down, escalated

    @property
    def extend(self) -> tuple[str, str] | None:
        """The page to extend (title, url), when its questions came close to one."""
        if self.pages and self.pages[0][2] >= EXTEND_AT:
            return self.pages[0][0], self.pages[0][1]
        return None

    @property
    def trend(self) -> str:
        if self.this_week > self.last_week:
            return f"growing ({self.last_week} → {self.this_week})"
        if self.this_week < self.last_week:
            return f"shrinking ({self.last_week} → {self.this_week})"
        return f"steady ({self.this_week} a week)"


@dataclass
class Stale:
    """An answer that cited a page a sync changed or removed afterwards."""

    question: str
    channel: str
    asked: date
    source: str
    synced: date
    then: str  # what became of it: asked again and posted, nothing new, or not asked again


@dataclass
class Report:
    since: datetime
    until: datetime
    days: list[Day]
    pages: list[Page]
    latency: list[Latency]
    gaps: list[Gap]
    stale: list[Stale] = field(default_factory=list)

    @property
    def asked(self) -> int:
        return sum(d.asked for d in self.days)


@dataclass
class _Missed:
    text: str
    at: datetime
    why: str
    pages: list[tuple[str, str, float]]


def build(store: Records, embed: Embed, *, now: datetime, days: int = 28) -> Report:
    """The report over the last `days` days."""
    since = now - timedelta(days=days)
    votes = (
        select(Vote.answer_id, func.sum(case((Vote.value > 0, 1), else_=0)).label("up"),
               func.sum(case((Vote.value < 0, 1), else_=0)).label("down"))
        .group_by(Vote.answer_id).subquery()
    )  # fmt: skip
    with store.session() as session:  # columns, not objects: 100k rows read in about a second
        rows = session.execute(
            select(AskedQuestion.platform, AskedQuestion.channel, AskedQuestion.text,
                   AskedQuestion.asked_at, AskedQuestion.escalated_at, AskedQuestion.resolved_at,
                   StoredAnswer.declined, StoredAnswer.citations, StoredAnswer.retrieved,
                   StoredAnswer.delivered_at, votes.c.up, votes.c.down)
            .join(StoredAnswer, StoredAnswer.question_id == AskedQuestion.id)
            .outerjoin(votes, votes.c.answer_id == StoredAnswer.id)
            .where(StoredAnswer.answered_at >= since)
            .order_by(StoredAnswer.answered_at)
        ).all()  # fmt: skip
    grid: dict[tuple[date, str, str], Day] = {}
    pages: dict[str, Page] = {}
    waits: dict[date, list[float]] = defaultdict(list)
    missed: list[_Missed] = []
    for row in rows:
        asked = row
        when = utc(asked.asked_at)
        up, down = int(row.up or 0), int(row.down or 0)
        collection = next((s.get("collection") or "" for s in row.retrieved), "") or "(default)"
        channel = (
            f"{asked.platform}:{asked.channel}" if asked.channel else f"{asked.platform}:(direct)"
        )
        day = grid.setdefault((when.date(), channel, collection),
                              Day(when.date(), channel, collection))  # fmt: skip
        day.asked += 1
        day.answered += not row.declined
        day.declined += row.declined
        day.escalated += asked.escalated_at is not None
        day.resolved += asked.resolved_at is not None
        day.up += up
        day.down += down
        for citation in row.citations:
            url = str(citation.get("url", "")).split("#")[0]
            page = pages.setdefault(url, Page(str(citation.get("title", "")), url))
            page.cited += 1
            page.cited_voted_down += down > up
        if row.delivered_at is not None:
            waits[when.date()].append((utc(row.delivered_at) - when).total_seconds())
        why = "declined" if row.declined else "voted down" if down > up else (
            "escalated" if asked.escalated_at is not None else "")  # fmt: skip
        if why:  # a question whose words were removed joins its page's gap, unquoted
            near = [(str(s.get("title", "")), str(s.get("url", "")).split("#")[0],
                     float(s.get("similarity") or 0.0)) for s in row.retrieved[:3]]  # fmt: skip
            missed.append(_Missed(asked.text.strip(), when, why, near))
    latency = [Latency(d, len(w), percentile(w, 0.5), percentile(w, 0.95))
               for d, w in sorted(waits.items())]  # fmt: skip
    return Report(
        since=since, until=now,
        days=sorted(grid.values(), key=lambda d: (d.day, d.channel, d.collection)),
        pages=sorted(pages.values(), key=lambda p: (-p.cited, p.title)),
        latency=latency, gaps=gaps(missed, embed, now), stale=stale(store, since),
    )  # fmt: skip


_THEN = {"delivered": "answered again: posted", "unchanged": "answered again: nothing new"}


def stale(store: Records, since: datetime) -> list[Stale]:
    """The answers each sync since `since` made stale (its report's `affected`), newest first."""
    with store.session() as session:
        runs = session.scalars(
            select(SyncRun).where(SyncRun.requested_at >= since, SyncRun.state == "done")
            .order_by(SyncRun.requested_at.desc())
        ).all()  # fmt: skip
        found = []
        for run in runs:
            synced = SyncReport.model_validate(run.report) if run.report else None
            for item in synced.affected if synced else []:
                asked = session.scalar(select(AskedQuestion).where(AskedQuestion.key == item.key))
                if asked is None or asked.redacted_at is not None:
                    continue
                again = session.scalar(
                    select(AskedQuestion.state).where(AskedQuestion.supersedes == item.key)
                )
                then = (
                    _THEN.get(again or "", "being answered again") if again else "not asked again"
                )
                found.append(Stale(asked.text, item.channel, utc(asked.asked_at).date(),
                                   run.source, utc(run.requested_at).date(), then))  # fmt: skip
    return found


def gaps(missed: list[_Missed], embed: Embed, now: datetime) -> list[Gap]:
    """The missed questions grouped by meaning, the biggest gap first: each wording once, the
    `MOST_GROUPED` most asked. A question whose words were removed (retention, `forget`), or
    asked in a rarer wording, counts in the gap of the page it came closest to."""
    alike: dict[str, list[_Missed]] = defaultdict(list)  # one wording, asked once or often
    for item in missed:
        if item.text:
            alike[" ".join(item.text.casefold().split()).rstrip("?!. ")].append(item)
    wordings = sorted(alike, key=lambda w: -len(alike[w]))[:MOST_GROUPED]
    labels = group(wordings, embed) if wordings else []
    groups: dict[object, list[_Missed]] = defaultdict(list)
    for wording, label in zip(wordings, labels, strict=True):
        groups[label] += alike.pop(wording)
    week = now - timedelta(days=7)
    found = [_gap(items, week) for items in groups.values()]
    by_page = {gap.pages[0][1]: gap for gap in found if gap.pages}
    unworded: dict[str, list[_Missed]] = defaultdict(list)
    rest = [item for items in alike.values() for item in items]  # past the most grouped
    for item in [m for m in missed if not m.text] + rest:
        page = item.pages[0][1] if item.pages else ""
        if page in by_page:
            _count_in(by_page[page], item, week)
        else:
            unworded[page].append(item)
    found += [_gap(items, week) for items in unworded.values()]
    return sorted(found, key=lambda g: (-g.size, -g.this_week, g.examples[:1]))


REMOVED = "(its words were removed: retention, or its asker forgotten)"


def _count_in(gap: Gap, item: _Missed, week: datetime) -> None:
    gap.size += 1
    gap.this_week += item.at >= week
    gap.last_week += week - timedelta(days=7) <= item.at < week
    gap.why[item.why] += 1


def _gap(items: list[_Missed], week: datetime) -> Gap:
    """One gap from its questions: counts, trend, examples, the pages they came closest to."""
    near: dict[str, list[float]] = defaultdict(list)
    titles: dict[str, str] = {}
    for item in items:
        for title, url, similarity in item.pages:
            near[url].append(similarity)
            titles[url] = title
    closest = sorted(((titles[u], u, sum(s) / len(items)) for u, s in near.items()),
                     key=lambda p: -p[2])[:2]  # fmt: skip
    examples = list(dict.fromkeys(i.text for i in reversed(items) if i.text))[:3] or [REMOVED]
    gap = Gap(size=0, this_week=0, last_week=0, examples=examples, pages=closest, fix="")
    for item in items:
        _count_in(gap, item, week)
    if gap.extend:
        gap.fix = f"extend “{gap.extend[0]}”"
    else:
        gap.fix = "new page" if examples == [REMOVED] else f"new page: “{examples[0]}”"
    return gap


def group(texts: list[str], embed: Embed, distance: float = GAP_DISTANCE) -> list[int]:
    """A group number per text: texts closer in meaning than `distance` share one."""
    if len(texts) == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.asarray(embed(texts), dtype=np.float64)
    tree = linkage(vectors, method="average", metric="cosine")
    return [int(label) for label in fcluster(tree, t=distance, criterion="distance")]
