"""What a sync tells a channel: pages added, changed and removed, linked the platform's way."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.discord.embeds import link as discord_link
from bot.slack.blocks import link as slack_link
from knowledge.models import IngestReport, PageChange, SyncReport
from knowledge.sync.notice import change_notice, worth_telling


def report(*changes: PageChange, error: str = "") -> SyncReport:
    return SyncReport(source="help-center", kind="sitemap", started_at=datetime.now(UTC),
                      ingest=IngestReport(changes=list(changes)), error=error)  # fmt: skip


def page(kind: str, n: int, title: str = "") -> PageChange:
    return PageChange(kind=kind, doc_id=f"help/{n}.md", title=title or f"Page {n}",  # type: ignore[arg-type]
                      url=f"https://help.example.com/{n}")  # fmt: skip


def test_each_change_is_listed_and_linked_and_removed_pages_named():
    synced = report(page("added", 1, "Single sign-on"), page("changed", 2, "Plans <& pricing>"),
                    page("removed", 3, "Old export"))  # fmt: skip
    assert change_notice(synced, slack_link, limit=3000).splitlines() == [
        "Docs sync of help-center: 1 added, 1 changed, 1 removed.",
        "Added: <https://help.example.com/1|Single sign-on>",
        "Changed: <https://help.example.com/2|Plans &lt;&amp; pricing&gt;>",
        "Removed: Old export",
    ]
    assert "Added: [Single sign-on](https://help.example.com/1)" in change_notice(
        synced, discord_link, limit=2000
    )


def test_a_long_list_is_cut_between_whole_links_and_says_how_many_more():
    synced = report(*(page("added", n) for n in range(500)), page("removed", 999))
    text = change_notice(synced, discord_link, limit=2000)
    assert len(text) <= 2000
    added, removed = text.splitlines()[1:]
    assert added.endswith(" more") and added.count("](") == added.count("https://")
    shown = added.count("](")
    assert 0 < shown < 500 and added.endswith(f"and {500 - shown} more")
    assert removed == "Removed: Page 999"


def test_a_failure_is_told_once_not_at_every_interval():
    failed = report(error="the sitemap https://h/sitemap.xml could not be read: HTTP 502")
    assert "failed: the sitemap" in change_notice(failed, slack_link, limit=3000)
    assert worth_telling(failed, previous_error="")
    assert not worth_telling(failed, previous_error=failed.error)
    assert worth_telling(report(page("changed", 1)), previous_error=failed.error)
    assert not worth_telling(report(), previous_error="")


def test_what_a_site_wrote_is_escaped_for_the_platform():
    failed = report(error="the sitemap could not be read: not a sitemap (<!channel> <@U1>)")
    assert "<!channel>" not in change_notice(failed, slack_link, limit=3000)
    assert "&lt;!channel&gt;" in change_notice(failed, slack_link, limit=3000)
    forged = page("added", 1, "Reset\n<!here> now")
    forged.url = "https://help.example.com/1> <!channel> <https://evil.example/login"
    notice = change_notice(report(forged), slack_link, limit=3000)
    assert notice.splitlines()[1] == (
        "Added: <https://help.example.com/1%3E%20%3C!channel%3E%20%3Chttps://evil.example/login"
        "|Reset &lt;!here&gt; now>"
    )
    on_discord = change_notice(report(forged), discord_link, limit=3000)
    assert on_discord.splitlines()[1].startswith("Added: [Reset <!here> now](https://help.")
    assert " " not in on_discord.splitlines()[1].split("](")[1]
