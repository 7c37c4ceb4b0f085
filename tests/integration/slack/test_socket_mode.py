"""Socket Mode, the default: the real `python -m bot.slack` process (as the Procfile runs it)
opens its connection through apps.connections.open on the Web API stand-in, receives events as
envelopes over a local websocket, acks them, and the answer lands in the thread via the workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.observe import log_lines, wait_idle, wait_until
from tests.support.processes import start_answering
from tests.support.slack_api import SlackStandIn, SocketModeStandIn, app_mention

REDIS = "redis://127.0.0.1:6379/9"


@dataclass
class Link:
    slack: SlackStandIn
    socket: SocketModeStandIn
    log: Path  # the adapter process's


@pytest.fixture(scope="module")
def link(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Link]:
    redis.Redis.from_url(REDIS).flushdb()
    root = tmp_path_factory.mktemp("socket")
    ingest_small_docs(root / "data")
    slack, socket = SlackStandIn().start(), SocketModeStandIn().start()
    slack.socket_url = socket.url
    env = {
        "SUPPORTBOT_DATA_DIR": str(root / "data"),
        "SUPPORTBOT_GENERATOR": "extractive",
        "SUPPORTBOT_BROKER_URL": REDIS,
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "SUPPORTBOT_SLACK_APP_TOKEN": "xapp-test-token",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "C_FORCE_ROOT": "1",
    }
    knowledge, delivery = start_answering(env, root)
    log = root / "adapter.log"
    adapter = subprocess.Popen(
        [sys.executable, "-m", "bot.slack"], cwd=root, env={**os.environ, **env},
        stdout=log.open("a"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        knowledge.wait_ready()
        delivery.wait_ready()
        assert socket.connected(), f"the adapter never connected:\n{log.read_text()[-3000:]}"
        yield Link(slack, socket, log)
    finally:
        adapter.terminate()
        adapter.wait(30)
        knowledge.stop()
        delivery.stop()
        slack.stop()
        socket.stop()


def test_the_connection_is_opened_with_the_app_token(link):
    (opened,) = link.slack.named("apps.connections.open")[:1]
    assert opened.at > 0


def test_an_event_is_acked_at_once_and_answered_once_in_its_thread(link):
    payload = app_mention("EvS1", "can i get a refund on a yearly plan?", "1700000101.1")
    first, _ = link.socket.send(payload)
    retried, _ = link.socket.send(payload, retry=1)  # Slack redelivers an envelope it thinks lost
    refused = "Event slack:T0001:EvS1 already taken"
    wait_until(lambda: log_lines(link.log, refused), "the adapter to refuse the redelivery")
    link.slack.wait_posts("1700000101.1")
    wait_idle(REDIS)
    assert retried in link.socket.acks
    (post,) = link.slack.posts_in("1700000101.1")
    assert link.socket.acks[first] < post.at  # acked before the work, not after it
    blocks = post.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert "14 days" in blocks[0]["text"]["text"]
