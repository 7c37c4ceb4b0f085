"""`supportbot report`: the page from real records and the bundled embedding model, written as
one file and served behind its token by a real waitress server."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.commands import app
from bot.report.server import Cached, application
from bot.slack.http import make_server
from knowledge.models import Source
from knowledge.records.store import Posted, Records
from tests.support.answers import answered, asked

#: Debian's Chromium, which `make test` installs (Playwright's own download is not reachable).
CHROMIUM = os.environ.get("SUPPORTBOT_TEST_CHROMIUM", "/usr/bin/chromium")
ATTACK = "<script>alert('x')</script> refund?"
NOT_COVERED = [  # one gap, worded four ways
    "can i pay with bitcoin?", "do you accept crypto payments?", "paying in bitcoin possible?",
    "is cryptocurrency accepted as payment?",
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Records:
    store = Records(f"sqlite:///{tmp_path / 'records.sqlite'}")
    billing = Source(doc_id="billing", title="Billing", url="https://help.example/billing",
                     text="We accept cards.", score=0.5, similarity=0.31)  # fmt: skip
    n = 0
    for text in NOT_COVERED:  # declined: the docs don't cover it
        n += 1
        decline = answered("I can't find that in our docs.", declined=True, confidence="none")
        decline = decline.model_copy(update={"retrieved": [billing], "citations": []})
        store.record_answer(asked(f"Ev{n}", text), decline, Posted(f"C1/{n}.5", f"C1/{n}"))
    for text, votes in [("how long do refunds take?", [1, 1]), (ATTACK, [-1])]:
        n += 1
        store.record_answer(asked(f"Ev{n}", text), answered(), Posted(f"C1/{n}.5", f"C1/{n}"))
        for i, value in enumerate(votes):
            store.vote("slack", f"C1/{n}.5", f"U{i}", value, datetime.now(UTC))
    return store


def test_the_report_file_shows_gaps_charts_and_pages_and_needs_no_network(
    store, tmp_path, monkeypatch
):
    monkeypatch.setenv("SUPPORTBOT_RECORDS_URL", str(store.engine.url))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "--out", "report.html"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert "<script src=" not in page and "plotly.js v" in page  # plotly.js inline, no CDN
    assert 'id="outcomes"' in page and 'id="latency"' in page
    gaps = page[page.index("the gaps</h2>") : page.index("Time to answer")]
    assert gaps.count("<tr>") == 1 + 2  # header, the crypto gap, the voted-down one
    assert '<td class="n">4</td>' in gaps  # the four wordings are one gap
    assert "new page: “is cryptocurrency accepted as payment?”" in gaps  # nothing came close
    assert "Billing (0.31)" in gaps  # the page its questions came closest to
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page  # text, never markup
    assert 'download="gaps.csv"' in page and "Refunds" in page


def test_the_served_report_shows_nothing_without_its_token(store):
    pages = Cached(lambda: "<html>the report</html>")
    server = make_server(application("s3cret-token", pages, lambda: "var Plotly;"), "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        for path in ("/", "/plotly.min.js", "/?token=wrong", "/?token="):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)  # noqa: S310 - the local server
            body = refused.value.read()
            assert refused.value.code == 401 and b"the report</html>" not in body
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with browser.open(f"{base}/?token=s3cret-token", timeout=10) as opened:  # 303, then /
            assert opened.url == f"{base}/" and b"the report" in opened.read()
            assert "frame-ancestors 'none'" in opened.headers["Content-Security-Policy"]
        with browser.open(f"{base}/plotly.min.js", timeout=10) as script:
            assert script.read() == b"var Plotly;"
        bearer = urllib.request.Request(  # noqa: S310 - the local server
            f"{base}/", headers={"Authorization": "Bearer s3cret-token"}
        )
        assert b"the report" in urllib.request.urlopen(bearer, timeout=10).read()  # noqa: S310
    finally:
        server.close()


def test_serving_without_a_token_is_refused_with_what_to_do(store, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTBOT_RECORDS_URL", str(store.engine.url))
    monkeypatch.delenv("SUPPORTBOT_REPORT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 2 and "SUPPORTBOT_REPORT_TOKEN" in result.output


def test_a_browser_sees_nothing_without_the_token_and_every_chart_with_it(store):
    """Headless Chromium (Debian's; `make test` installs it) through Playwright."""
    from playwright.sync_api import sync_playwright

    from bot.report import page
    from knowledge.index.embedding import load_embedding
    from knowledge.records import report
    from knowledge.settings import Settings

    embed = load_embedding(Settings(_env_file=None)).get_text_embedding_batch
    built = Cached(lambda: page.render(report.build(store, embed, now=datetime.now(UTC)),
                                       inline_js=False))  # fmt: skip
    server = make_server(application("s3cret-token", built, page.plotly_js), "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    problems: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            tab = browser.new_page()
            tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda error: problems.append(str(error)))
            refused = tab.goto(f"{base}/")
            assert refused.status == 401 and "questions" not in tab.content()
            problems.clear()  # the 401 itself is logged as a failed load
            tab.goto(f"{base}/?token=s3cret-token")
            for chart in ("#outcomes", "#latency"):
                tab.wait_for_selector(f"{chart} .main-svg")  # drawn by plotly.js
            asked = tab.evaluate("""() => document.getElementById('outcomes').data
                .filter(t => t.visible !== false && t.name === 'asked')
                .reduce((n, t) => n + t.y.reduce((a, b) => a + b, 0), 0)""")
            assert asked == 6  # the questions seeded: four declined, two answered
            assert tab.inner_text(".totals").split() == [
                "6", "questions", "2", "answered", "4", "declined", "0", "to", "a", "person",
                "0", "resolved", "👍", "2", "👎", "1",
            ]  # fmt: skip
            first_gap = tab.locator("table.sortable").first.locator("tbody tr").first
            assert first_gap.locator("td").first.inner_text() == "4"
            browser.close()
    finally:
        server.close()
    assert problems == []


def test_gaps_keep_counting_questions_whose_words_were_removed(store):
    from knowledge.index.embedding import load_embedding
    from knowledge.records import privacy, report
    from knowledge.settings import Settings

    embed = load_embedding(Settings(_env_file=None)).get_text_embedding_batch
    before = report.build(store, embed, now=datetime.now(UTC))
    privacy.forget(store, "U1")  # asked every question here
    after = report.build(store, embed, now=datetime.now(UTC))
    assert [g.size for g in after.gaps] == [g.size for g in before.gaps] == [4, 1]
    assert after.gaps[0].examples == [report.REMOVED] and after.gaps[0].pages[0][0] == "Billing"
    assert after.asked == before.asked == 6
