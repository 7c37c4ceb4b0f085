"""Past one machine: knowledge workers sharing one Milvus endpoint (`milvus_lite server`, the
same gRPC API as a Milvus server), with ingests from other processes while they answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.models import Question
from knowledge.records.store import Records
from knowledge.search.base import KnowledgeBase
from tests.conftest import make_settings
from tests.support.databases import fresh_redis
from tests.support.observe import log_lines, wait_until, watching
from tests.support.processes import MilvusServer, Worker, client_app, settings_from
from tests.support.proxy import Proxy
from workers import enqueue
from workers.settings import WorkerSettings

REDIS_DB = 12


@pytest.fixture
def redis_url() -> Iterator[str]:
    with fresh_redis(REDIS_DB) as url:
        yield url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MilvusServer]:
    milvus = MilvusServer(tmp_path / "milvus", tmp_path / "milvus.log")
    try:
        milvus.wait_ready()
        yield milvus
    finally:
        milvus.stop()


def env_for(tmp_path: Path, uri: str, broker: str) -> dict[str, str]:
    """The knowledge workers' settings: one index on the endpoint, checked on every question
    for other processes' changes (the default is once a minute)."""
    return {
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "data"),
        "SUPPORTBOT_MILVUS_URI": uri,
        "SUPPORTBOT_SHARED_INDEX_CHECK_S": "0",
        "SUPPORTBOT_BROKER_URL": broker,
        "SUPPORTBOT_GENERATOR": "extractive",
        "C_FORCE_ROOT": "1",
    }


def write_docs(docs: Path, pages: dict[str, str]) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    for name, (title, body) in {k: v.split("\n", 1) for k, v in pages.items()}.items():
        (docs / name).write_text(
            f"---\ntitle: {title}\nurl: https://help.example/{name[:-3]}\n---\n{body}"
        )


def ingest(tmp_path: Path, uri: str, docs: Path) -> None:
    """An ingest by another process than the workers (here the test's, as `supportbot ingest`
    runs with a server: directly, no hand-off to a worker)."""
    kb = KnowledgeBase(make_settings(tmp_path / "data", milvus_uri=uri))
    try:
        kb.ingest([docs])
    finally:
        kb.close()


class Asker:
    """Questions through the broker, and their answers from the records."""

    def __init__(self, env: dict[str, str]) -> None:
        self.app = client_app(env)
        self.records = Records(settings_from(WorkerSettings, env).resolved_records_url)
        self.asked = 0

    def ask(self, text: str) -> Question:
        self.asked += 1
        asked = Question(platform="slack", workspace="T1", text=text, event_id=f"Ev{self.asked}")
        assert enqueue.ask(self.app, self.records, asked, expires_s=600) is not None
        return asked

    def answer(self, text: str):  # type: ignore[no-untyped-def]
        asked = self.ask(text)
        return wait_until(lambda: self.records.stored_answer(asked.key), f"an answer to {text!r}")

    def only(self, worker: str, others: list[str]) -> None:
        """From now on only `worker` takes questions (the others stop consuming the queue)."""
        self.app.control.add_consumer("knowledge", destination=[worker], reply=True)
        for other in others:
            self.app.control.cancel_consumer("knowledge", destination=[other], reply=True)


REFUNDS = "Refunds\nYearly plans are refunded in full within 14 days of purchase."
INVOICES = "Invoices\nInvoices are emailed on the first day of each month."
BADGES = "Badges\nVisitors collect a paper badge at the front desk."


def test_two_workers_share_one_index_and_see_every_change_another_process_makes(
    tmp_path, server, redis_url
):
    env = env_for(tmp_path, server.uri, redis_url)
    names = ["a@supportbot", "b@supportbot"]
    # both start before the collection exists: the first to open it creates it
    workers = [Worker(env, tmp_path / f"{n[0]}.log", concurrency=2, name=n) for n in names]
    try:
        for worker in workers:
            worker.wait_ready()
        docs = tmp_path / "docs"
        write_docs(docs, {"refunds.md": REFUNDS, "invoices.md": INVOICES})
        ingest(tmp_path, server.uri, docs)
        asker = Asker(env)
        for name, worker in zip(names, workers, strict=True):
            asker.only(name, [n for n in names if n != name])
            answered_before = log_lines(worker.log, "succeeded")
            answer = asker.answer("can i get a refund on a yearly plan?")
            assert "14 days" in answer.text
            assert answer.citations[0].url == "https://help.example/refunds"
            assert log_lines(worker.log, "succeeded") > answered_before  # it answered
        # another process changes one page and removes another, while both workers run
        write_docs(docs, {"refunds.md": REFUNDS.replace("14 days", "30 days")})
        (docs / "invoices.md").unlink()
        write_docs(docs, {"badges.md": BADGES})
        ingest(tmp_path, server.uri, docs)
        for name in names:
            asker.only(name, [n for n in names if n != name])
            refund = asker.answer("can i get a refund on a yearly plan?")
            assert "30 days" in refund.text and "14 days" not in refund.text
            badge = asker.answer("where do visitors get a badge?")
            assert badge.citations and badge.citations[0].url == "https://help.example/badges"
            invoice = asker.answer("when are invoices emailed?")
            assert all("invoices" not in c.url for c in invoice.citations)
    finally:
        for worker in workers:
            worker.stop()
    assert all("Milvus server index" in w.log.read_text() for w in workers)


def test_an_endpoint_down_for_a_while_delays_the_answer_but_loses_nothing(
    tmp_path, server, redis_url
):
    endpoint = Proxy(server.port)  # the workers' way to the server, cut and restored
    env = env_for(tmp_path, endpoint.url("http"), redis_url)
    docs = tmp_path / "docs"
    write_docs(docs, {"refunds.md": REFUNDS})
    ingest(tmp_path, server.uri, docs)
    worker = Worker(env, tmp_path / "worker.log", concurrency=2)
    try:
        worker.wait_ready()
        asker = Asker(env)
        endpoint.cut()
        asked = asker.ask("can i get a refund on a yearly plan?")
        wait_until(lambda: log_lines(worker.log, "The index did not answer") >= 2,
                   "the worker to try twice while the index is unreachable")  # fmt: skip
        assert asker.records.stored_answer(asked.key) is None
        endpoint.restore()
        answer = wait_until(lambda: asker.records.stored_answer(asked.key), "the answer")
        assert "14 days" in answer.text
        assert asker.records.state(asked.key) == "answered"
    finally:
        worker.stop()
        endpoint.close()


def test_two_ingests_at_once_embed_each_page_once(tmp_path, server, monkeypatch):
    """Two processes' ingests into one index at once (two knowledge bases here, each with its
    own connection; the lock between them is a file lock, as between processes): the second
    waits for the first, then finds every page done. Without the wait both would embed every
    page, and each would then delete the versions the other wrote."""
    import threading

    from knowledge.index.ingest import Ingestor

    docs = tmp_path / "docs"
    write_docs(docs, {f"page{i}.md": f"Page {i}\nThis is page number {i} of the docs."
                      for i in range(12)})  # fmt: skip
    settings = make_settings(tmp_path / "data", milvus_uri=server.uri)
    first, second = KnowledgeBase(settings), KnowledgeBase(settings)
    held, release = threading.Event(), threading.Event()
    real = Ingestor._replace

    def replace(self, embedded, docstore):  # the first ingest stops half-way, its pages written
        real(self, embedded, docstore)
        if not held.is_set():
            held.set()
            release.wait(timeout=300)

    monkeypatch.setattr(Ingestor, "_replace", replace)
    reports = {}
    try:
        with watching() as log:
            one = threading.Thread(target=lambda: reports.update(first=first.ingest([docs])))
            one.start()
            assert held.wait(timeout=300)
            two = threading.Thread(target=lambda: reports.update(second=second.ingest([docs])))
            two.start()
            log.wait_for("Another ingest into")
            release.set()
            one.join(timeout=300)
            two.join(timeout=300)
        assert (reports["first"].added, reports["second"].added) == (12, 0)
        assert reports["second"].unchanged == 12
        rows = first.store.client.query(first.store.collection_name, filter="",
                                        output_fields=["doc_id"], limit=1000)  # fmt: skip
        assert sorted(r["doc_id"] for r in rows) == sorted(f"docs/page{i}.md" for i in range(12))
    finally:
        release.set()
        first.close()
        second.close()
