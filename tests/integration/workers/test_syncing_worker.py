"""Docs synced through the worker that owns the index: `supportbot ingest SITEMAP` hands the job
over and follows it while the worker keeps answering, and beat syncs a configured source on its
schedule, so an edit at the source reaches the answers."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from knowledge.models import Question
from knowledge.records.store import Records
from knowledge.records.syncs import SyncLog
from tests.conftest import SUPPORTBOT
from tests.integration.workers.test_worker import ingest_small_docs, question, worker_env
from tests.support.docs_site import DocsSite, article
from tests.support.observe import wait_until
from tests.support.processes import Beat, Worker, client_app, settings_from
from workers import enqueue
from workers.settings import WorkerSettings

pytestmark = pytest.mark.slow
REDIS = "redis://127.0.0.1:6379/14"
CLI = [SUPPORTBOT]


@pytest.fixture
def broker() -> Iterator[str]:
    redis.Redis.from_url(REDIS).flushdb()
    yield REDIS
    redis.Redis.from_url(REDIS).flushdb()


@pytest.fixture
def env(tmp_path: Path, broker: str) -> dict[str, str]:
    data_dir = tmp_path / "data"
    ingest_small_docs(data_dir)
    return worker_env(data_dir, broker, SUPPORTBOT_SOURCES_FILE=str(tmp_path / "sources.yml"))


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    running = Worker(env, tmp_path / "worker.log")
    running.wait_ready()
    yield running
    running.stop()


def test_ingest_of_a_site_is_handed_to_the_worker_which_answers_meanwhile(
    env, worker, httpserver, tmp_path
):
    site = DocsSite(httpserver)
    site.put("/hc/sso", article("Single sign-on", ("Set up SAML", "Admins paste the metadata "
             "URL of the identity provider on the Security page.")), "2026-11-01")  # fmt: skip
    site.hanging.add("/hc/slow")  # holds the sync in the worker until the test lets it go
    records = Records(settings_from(WorkerSettings, env).resolved_records_url)
    cli = subprocess.Popen([*CLI, "ingest", site.sitemap_url, "--private-network"], env=env,
                           cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until(lambda: site.requests["/hc/slow"], "the worker's sync to reach the slow page")
        asked = Question(**question("Ev-during-sync"))
        assert enqueue.ask(client_app(env), records, asked, expires_s=600) is not None
        answer = wait_until(lambda: records.stored_answer(asked.key), "an answer during the sync")
        assert "14 days" in answer.text
        assert cli.poll() is None  # the sync is still held by the slow page
    finally:
        site.close()
    output, _ = cli.communicate(timeout=120)
    assert cli.returncode == 0, output
    assert "handing the job to it" in output
    assert "1 of 2 pages fetched" in output or "2 of 2 pages fetched" in output
    latest = SyncLog(records).latest()
    host = site.url("/").split("//")[1].split(":")[0]
    assert latest[host].state == "done" and latest[host].report.ingest.added >= 1

    sso = Question(**question("Ev-after-sync", "how do admins set up SAML single sign-on?"))
    enqueue.ask(client_app(env), records, sso, expires_s=600)
    answer = wait_until(lambda: records.stored_answer(sso.key), "an answer from the synced page")
    assert answer.citations[0].url.startswith(site.url("/hc/sso"))

    listing = subprocess.run([*CLI, "sources"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, check=True)  # fmt: skip
    assert host in listing.stdout and "done" in listing.stdout


def test_beat_syncs_a_source_and_an_edit_reaches_the_answers(env, worker, tmp_path):
    handbook = tmp_path / "handbook"
    handbook.mkdir()
    (handbook / "holidays.md").write_text("# Holidays\n\nThe office is closed on 24 December.\n")
    (tmp_path / "sources.yml").write_text(
        f"sources:\n  - {{name: handbook, folder: '{handbook}', every_minutes: 0.02, "
        "base_url: 'https://handbook.example.com'}\n"
    )
    records = Records(settings_from(WorkerSettings, env).resolved_records_url)
    log = SyncLog(records)

    def synced_with(text: str) -> bool:
        status = log.latest().get("handbook")
        return bool(status and status.state == "done" and text in holidays_answer())

    def holidays_answer() -> str:
        asked = Question(**question(f"Ev-{len(asked_keys)}", "when is the office closed?"))
        asked_keys.append(asked.key)
        enqueue.ask(client_app(env), records, asked, expires_s=600)
        return wait_until(lambda: records.stored_answer(asked.key), "an answer").text

    asked_keys: list[str] = []
    beat = Beat(env, tmp_path / "beat.log")
    try:
        wait_until(lambda: synced_with("24 December"), "beat's first sync", every=0.5)
        (handbook / "holidays.md").write_text("# Holidays\n\nThe office is closed on 31 May.\n")
        wait_until(lambda: synced_with("31 May"), "the edit to be synced", every=0.5)
    finally:
        beat.stop()
    report = log.latest()["handbook"].report
    assert report is not None and report.ingest.problems == []


def test_a_sync_whose_worker_dies_is_marked_failed_told_and_sent_again_once_a_worker_is_back(
    env, httpserver, tmp_path
):
    env = env | {"SUPPORTBOT_SYNC_STALLED_S": "5", "SUPPORTBOT_SWEEP_EVERY_S": "1"}
    site = DocsSite(httpserver)
    for n in range(6):
        site.put(f"/hc/page-{n}", article(f"Page {n}", ("Body", f"Setting number {n} is on.")),
                 "2026-11-01")  # fmt: skip
    site.hanging.add("/hc/page-3")  # the worker is mid-sync when it dies
    records = Records(settings_from(WorkerSettings, env).resolved_records_url)
    log = SyncLog(records)
    first = Worker(env, tmp_path / "worker.log")
    first.wait_ready()
    cli = subprocess.Popen([*CLI, "ingest", site.sitemap_url, "--private-network"], env=env,
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)  # fmt: skip
    beat = Beat(env, tmp_path / "beat.log")
    sweeper = Worker(env, tmp_path / "delivery.log", app="bot.worker", queue="delivery,feedback")
    try:
        wait_until(lambda: site.requests["/hc/page-3"], "the sync to reach the page that hangs")
        first.kill()
        output, _ = cli.communicate(timeout=120)  # the follower says so within the minute
        assert cli.returncode == 1
        assert re.search(r"the worker has said nothing for \d+ s: it stopped during the job|"
                         r"the worker stopped during the sync", output), output  # fmt: skip
        (run,) = [s for s in log.latest().values()]
        dead = wait_until(lambda: (s := log.status(run.id.split("~")[0])) and s.state == "failed"
                          and s, "the sweeper to mark the dead sync failed")  # fmt: skip
        assert dead.error.startswith("the worker stopped during the sync (no word from it for 5 s)")
        again = dead.error.rsplit("sent again as run ", 1)[1]
        assert log.status(again).state == "queued"  # waiting for a worker
        site.hanging.clear()
        site.close()
        second = Worker(env, tmp_path / "worker-again.log")
        try:
            done = wait_until(lambda: (s := log.status(again)) and s.state == "done" and s,
                              "the sync sent again to run on the new worker")  # fmt: skip
            assert done.report is not None and done.report.ingest.added == 6
        finally:
            second.stop()
    finally:
        cli.kill()
        beat.stop()
        sweeper.stop()
        first.stop()
