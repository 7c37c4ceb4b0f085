"""`supportbot report`: the page from real records and the bundled embedding model, written as
one file and served behind its token by a real waitress server."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.report.server import Cached, application
from bot.slack.http import make_server
from knowledge.models import Source
from knowledge.records.store import Posted, Records
from tests.support.answers import answered, asked

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
