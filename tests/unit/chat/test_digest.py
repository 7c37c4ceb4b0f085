"""The weekly digest's text (pure) and when beat sends it."""

from datetime import UTC, datetime

from celery.schedules import crontab

from bot.slack.blocks import link
from knowledge.records.digest import Digest, DigestGap, digest_text


def digest(gaps: list[DigestGap]) -> Digest:
    return Digest(since=datetime(2026, 11, 30, tzinfo=UTC), until=datetime(2026, 12, 7, tzinfo=UTC),
                  asked=120, declined=9, escalated=4, voted_down=3, gaps=gaps,
                  report_url="https://support.example/report/")  # fmt: skip


def test_each_gap_says_its_size_its_trend_and_its_fix_with_a_link_to_the_page():
    text = digest_text(digest([
        DigestGap(size=6, this_week=4, last_week=2, extend="Billing <b>",
                  extend_url="https://help.example/billing"),
        DigestGap(size=3, this_week=0, last_week=0),
    ]), link, limit=3000)  # fmt: skip
    assert text.splitlines() == [
        "Support digest, 30 Nov to 07 Dec: 120 questions, 9 not covered by the docs, 4 handed "
        "to a person, 3 answers voted down.",
        "1. 6 questions (4 this week, 2 the week before): extend "
        "<https://help.example/billing|Billing &lt;b&gt;>.",
        "2. 3 questions (none in the last two weeks): a new page is needed.",
        "Questions and suggested fixes: <https://support.example/report/#gaps|the report>",
    ]
    short = digest_text(digest([DigestGap(size=1, this_week=1, last_week=0)] * 50), link,
                        limit=500)  # fmt: skip
    assert len(short) <= 500 and short.endswith("a new page is needed.")  # whole lines only


def test_the_digest_is_scheduled_from_its_crontab_line_and_only_with_a_channel(monkeypatch):
    from workers.settings import WorkerSettings
    from workers.timetable import digest_schedule

    none = WorkerSettings(_env_file=None)
    assert digest_schedule(none) == {}
    weekly = WorkerSettings(_env_file=None, digest_to="slack:C0LEADS", digest_cron="30 8 * * 1")
    (entry,) = digest_schedule(weekly).values()
    assert entry["task"] == "supportbot.digest"
    assert entry["schedule"] == crontab(minute="30", hour="8", day_of_week="1")
