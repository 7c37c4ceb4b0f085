"""A real Celery worker process on a real broker: Redis on localhost, and the embedded one."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from knowledge.models import Question
from knowledge.records.store import Records
from knowledge.search.base import KnowledgeBase
from tests.conftest import make_settings
from tests.support.chat_api import send_completion, serve
from tests.support.databases import fresh_redis
from tests.support.observe import log_lines, wait_until
from tests.support.processes import Worker, client_app, settings_from, start_generating
from workers import enqueue
from workers.settings import WorkerSettings

REDIS_DB = 11


def ingest_small_docs(data_dir: Path) -> None:
    docs = data_dir.parent / "docs"
    docs.mkdir(parents=True)
    (docs / "refunds.md").write_text(
        "---\ntitle: Refunds\nurl: https://help.example/refunds\n---\n"
        "Yearly plans are refunded in full within 14 days of purchase."
    )
    kb = KnowledgeBase(make_settings(data_dir))
    kb.ingest([docs])
    kb.close()  # Milvus Lite: the worker must be the only process holding the file


def worker_env(data_dir: Path, broker: str | None, **extra: str) -> dict[str, str]:
    env = {
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_GENERATOR": "extractive",
        "C_FORCE_ROOT": "1",
        **extra,
    }
    if broker:
        env |= {"SUPPORTBOT_BROKER_URL": broker}
    return env


def question(event_id: str, text: str = "can i get a refund on a yearly plan?") -> dict:
    return {"platform": "slack", "workspace": "T1", "text": text, "event_id": event_id}


@pytest.fixture
def redis_url() -> Iterator[str]:
    with fresh_redis(REDIS_DB) as url:
        yield url


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_a_worker_answers_and_a_redelivered_question_reuses_its_answer(tmp_path, broker, request):
    data_dir = tmp_path / "data"
    ingest_small_docs(data_dir)
    url = request.getfixturevalue("redis_url") if broker == "redis" else None
    env = worker_env(data_dir, url)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        app = client_app(env)
        records = Records(settings_from(WorkerSettings, env).resolved_records_url)
        asked = Question(**question("Ev1"))
        assert enqueue.ask(app, records, asked, expires_s=600) is not None
        answer = wait_until(lambda: records.stored_answer(asked.key), "the answer to be written")
        assert answer.citations[0].url == "https://help.example/refunds"
        assert "14 days" in answer.text
        assert records.state(asked.key) == "answered"
        # Slack retries the event: the claim is taken, nothing is enqueued twice
        assert enqueue.ask(app, records, asked, expires_s=600) is None
        # the broker redelivers the task: the stored answer is reused, not written again
        app.send_task("supportbot.answer", kwargs={"question": question("Ev1", "x")})
        wait_until(lambda: log_lines(worker.log, "was answered before"), "the redelivery")
        assert records.stored_answer(asked.key) == answer
    finally:
        worker.stop()
    assert "this one process owns it" in worker.log.read_text()


class SlowModel(BaseHTTPRequestHandler):
    """A chat endpoint whose first reply stalls until released: the worker waiting on it is
    killed meanwhile."""

    calls: ClassVar[list[float]] = []
    release: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append(time.monotonic())
        if len(type(self).calls) == 1:
            type(self).release.wait(timeout=600)
        # the worker that asked may have been killed meanwhile: that is the test
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            send_completion(self, "Yearly plans are refunded within 14 days [1].")

    def log_message(self, *args: object) -> None:
        pass


def test_a_generation_worker_killed_mid_answer_is_replaced_and_the_question_answered_once(
    tmp_path, redis_url
):
    SlowModel.calls = []
    SlowModel.release.clear()
    server = serve(SlowModel)
    data_dir = tmp_path / "data"
    ingest_small_docs(data_dir)
    env = worker_env(
        data_dir,
        redis_url,
        SUPPORTBOT_GENERATOR="hosted",
        SUPPORTBOT_HOSTED_URL=f"http://127.0.0.1:{server.server_port}",
        SUPPORTBOT_VISIBILITY_TIMEOUT_S="5",
    )
    app = client_app(env)
    records = Records(settings_from(WorkerSettings, env).resolved_records_url)
    asked = question(str(uuid.uuid4()))
    knowledge = Worker(env, tmp_path / "knowledge.log")
    first = start_generating(env, tmp_path / "first.log")
    second = None
    try:
        knowledge.wait_ready()
        first.wait_ready()
        app.send_task("supportbot.answer", kwargs={"question": asked})
        wait_until(lambda: SlowModel.calls, "the generation worker to ask the model")
        first.kill()  # mid-answer: the task is neither acknowledged nor finished
        second = start_generating(env, tmp_path / "second.log")
        second.wait_ready()
        key = Question(**asked).key
        answer = wait_until(lambda: records.stored_answer(key), "the answer", timeout=90)
        assert answer.text == "Yearly plans are refunded within 14 days [1]."
        assert answer.model.backend == "hosted"
        assert len(SlowModel.calls) == 2  # asked again by the second worker, exactly once
        # retrieved once: the knowledge worker handed the prompt over and was done with it
        assert log_lines(knowledge.log, "supportbot.answer[") == 2  # received; ignored: replaced
        assert "Traceback" not in knowledge.log.read_text()
    finally:
        SlowModel.release.set()
        knowledge.stop()
        first.stop()
        if second:
            second.stop()
        server.shutdown()


def test_a_worker_that_cannot_load_its_model_says_so_in_one_line(tmp_path):
    data_dir = tmp_path / "data"
    ingest_small_docs(data_dir)
    unreachable = {"SUPPORTBOT_HF_OFFLINE": "true", "SUPPORTBOT_BASE_MODEL": "acme/not-cached",
                   "SUPPORTBOT_HF_CACHE_DIR": str(tmp_path / "hub")}  # fmt: skip
    refusing = start_generating(
        worker_env(data_dir, None, SUPPORTBOT_GENERATOR="hub", **unreachable), tmp_path / "hub.log"
    )
    assert refusing.process.wait(timeout=180) != 0
    log = refusing.log.read_text()
    assert "Traceback" not in log
    (line,) = [line for line in log.splitlines() if "cannot start" in line]
    assert "'acme/not-cached'" in line and "SUPPORTBOT_BASE_MODEL" in line

    quoting = start_generating(
        worker_env(data_dir, None, SUPPORTBOT_GENERATOR="auto", **unreachable),
        tmp_path / "auto.log",
    )
    try:
        quoting.wait_ready()
    finally:
        quoting.stop()
    log = quoting.log.read_text()
    assert "Traceback" not in log
    (line,) = [line for line in log.splitlines() if "Answering by quoting the docs" in line]
    assert "'acme/not-cached'" in line and "SUPPORTBOT_GENERATOR" in line
