"""The weekly digest a team's channel gets: the biggest gaps in the docs, with links into the
report page, and none of the askers' words (the digest's channel is not theirs; the page, behind
its token, shows the questions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel

from knowledge.records.report import Report

#: How a platform writes a link, link(title, url), and a bare title, link(title, "").
Link = Callable[[str, str], str]


class DigestGap(BaseModel):
    size: int
    this_week: int
    last_week: int
    extend: str = ""  # the page to extend; "" when a new page is needed
    extend_url: str = ""


class Digest(BaseModel):
    """Plain, JSON-serialisable: the knowledge worker builds it, the delivery worker posts it."""

    since: datetime
    until: datetime
    asked: int
    declined: int
    escalated: int
    voted_down: int
    gaps: list[DigestGap]
    report_url: str = ""


def digest_of(report: Report, report_url: str, top: int = 5) -> Digest:
    """The digest of a report: its totals and its `top` gaps."""
    gaps = [DigestGap(size=g.size, this_week=g.this_week, last_week=g.last_week,
                      extend=g.extend[0] if g.extend else "",
                      extend_url=g.extend[1] if g.extend else "")
            for g in report.gaps[:top]]  # fmt: skip
    return Digest(
        since=report.since, until=report.until, asked=report.asked,
        declined=sum(d.declined for d in report.days),
        escalated=sum(d.escalated for d in report.days),
        voted_down=sum(g.why.get("voted down", 0) for g in report.gaps),
        gaps=gaps, report_url=report_url,
    )  # fmt: skip


def digest_text(digest: Digest, link: Link, *, limit: int) -> str:
    """The digest as one message, at most `limit` characters, cut between whole lines."""
    page = digest.report_url.rstrip("/")
    lines = [
        f"Support digest, {digest.since:%d %b} to {digest.until:%d %b}: {digest.asked} "
        f"questions, {digest.declined} not covered by the docs, {digest.escalated} handed to a "
        f"person, {digest.voted_down} answers voted down.",
    ]
    if not digest.gaps:
        lines.append("No gaps in the docs this time.")
    for n, gap in enumerate(digest.gaps, 1):
        trend = (f"{gap.this_week} this week, {gap.last_week} the week before"
                 if gap.this_week or gap.last_week else "none in the last two weeks")  # fmt: skip
        fix = (f"extend {link(gap.extend, gap.extend_url)}" if gap.extend
               else "a new page is needed")  # fmt: skip
        lines.append(f"{n}. {gap.size} questions ({trend}): {fix}.")
    if page:
        lines.append(f"Questions and suggested fixes: {link('the report', page + '/#gaps')}")
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > limit:
            break
        text += ("\n" if text else "") + line
    return text
