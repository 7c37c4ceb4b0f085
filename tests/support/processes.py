"""Real processes for integration tests: Celery workers started as the Procfile starts them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

from celery import Celery
from pydantic_settings import BaseSettings

from tests.conftest import REPO
from tests.support.observe import wait_until
from workers.app import create_app
from workers.settings import WorkerSettings

S = TypeVar("S", bound=BaseSettings)


class Process:
    """A process the tests start, logging to a file; stopped politely, killed if it hangs."""

    log: Path
    process: subprocess.Popen

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


#: The Procfile's knowledge worker: one process whose threads answer while another syncs.
KNOWLEDGE_THREADS = 4
#: The Procfile's delivery worker: threads that wait on Slack and Discord.
DELIVERY_THREADS = 8


class Worker(Process):
    """`celery -A workers.main worker` in its own process, as the Procfile runs it."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        app: str = "workers.main",
        queue: str = "knowledge",
        pool: str = "threads",
        concurrency: int | None = None,
        cwd: Path = REPO,
        name: str | None = None,
    ):
        """`cwd` is the checkout whose code runs (a benchmark compares with an older one);
        `name` tells several workers on one host apart (`-n`), for remote control."""
        self.log = log
        if concurrency is None:
            concurrency = {"workers.main": KNOWLEDGE_THREADS,
                           "bot.worker": DELIVERY_THREADS}.get(app)  # fmt: skip
        threads = ["--concurrency", str(concurrency)] if concurrency else []
        named = ["-n", name] if name else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queue,
             "--pool", pool, *threads, *named, "--loglevel", "INFO",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=cwd, env={**os.environ, **env}, stdout=log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 180) -> None:
        """Until the worker says "ready." (it has loaded its model and index), or exits."""

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.log.read_text()[-3000:]}")
            return "ready." in self.log.read_text()

        try:
            wait_until(ready, "the worker to be ready", timeout, every=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{self.log.read_text()[-3000:]}") from None


def start_generating(env: dict[str, str], log: Path, *, concurrency: int = 8) -> Worker:
    """A generation worker (the Procfile's `generate`): the model's half of each answer."""
    return Worker(env, log, app="workers.generation", queue="generate", concurrency=concurrency)


def start_answering(
    env: dict[str, str], root: Path, *, prefix: str = "", delivery_queues: str = "delivery,feedback"
) -> tuple[Worker, Worker]:
    """A knowledge worker and a delivery worker, as the Procfile's `worker` and `delivery`."""
    knowledge = Worker(env, root / f"{prefix}knowledge.log")
    delivery = Worker(env, root / f"{prefix}delivery.log", app="bot.worker",
                      queue=delivery_queues, pool="threads")  # fmt: skip
    return knowledge, delivery


def settings_from(cls: type[S], env: dict[str, str]) -> S:
    """Settings of type `cls` read from `env`, as a process started with that env reads them."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return cls(_env_file=None)  # type: ignore[call-arg]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def client_app(env: dict[str, str]) -> Celery:
    """The Celery app an adapter process started with `env` would enqueue on."""
    return create_app(settings_from(WorkerSettings, env))


class Beat(Process):
    """`celery -A workers.schedule beat`, the Procfile's clock: it sends the sweep."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.schedule", "beat",
             "--loglevel", "INFO"],
            cwd=REPO, env={**os.environ, **env}, stdout=log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip


class MilvusServer(Process):
    """`python -m milvus_lite server`: Milvus's gRPC API over a data folder, in its own process;
    what a team that outgrew a Lite file points SUPPORTBOT_MILVUS_URI at, and many processes
    share."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.log, self.data_dir = log, data_dir
        with socket.socket() as probe:  # a free port, kept across restarts
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.start()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(self.data_dir),
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        """Until a client's call is answered (the port alone opens before the engine is up)."""
        from pymilvus import MilvusClient

        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"milvus server exited:\n{self.log.read_text()[-3000:]}")
            try:
                client = MilvusClient(uri=self.uri, timeout=5)
            except Exception:
                return False
            try:
                client.list_collections()
                return True
            except Exception:
                return False
            finally:
                client.close()

        wait_until(answers, "the Milvus server to answer", timeout, every=0.2)
