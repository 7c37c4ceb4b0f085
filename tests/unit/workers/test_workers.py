"""Worker decisions that need no broker: which pool may run, how tasks are routed, and which
process runs each task."""

import json
import os
import subprocess
import sys

import pytest

from knowledge.models import Question
from workers import names
from workers.answering.pools import PoolNotAllowedError, check_pool
from workers.app import create_app
from workers.settings import WorkerSettings


def test_milvus_lite_refuses_several_processes_and_says_what_to_do():
    with pytest.raises(PoolNotAllowedError, match="--pool threads"):
        check_pool(uses_milvus_lite=True, pool="prefork", concurrency=2)
    assert "this one process owns it" in check_pool(True, "solo", 1)
    assert "any number of workers" in check_pool(False, "prefork", 8)


def test_the_app_is_json_only_acks_late_and_routes_by_name(tmp_path):
    app = create_app(WorkerSettings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    conf = app.conf
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_routes[names.ANSWER] == {"queue": names.KNOWLEDGE_QUEUE}
    assert conf.broker_url.startswith("sqla+sqlite:///") and str(tmp_path) in conf.broker_url


#: Each worker process (its `-A` module) and the queues its Procfile line consumes.
PROCESSES = {
    "workers.main": {names.KNOWLEDGE_QUEUE},
    "workers.generation": {names.GENERATE_QUEUE},
    "bot.worker": {names.DELIVERY_QUEUE, names.FEEDBACK_QUEUE},
}


def test_every_routed_task_is_registered_by_the_process_that_consumes_its_queue(tmp_path):
    """A task name routed to a queue whose worker never imported its module is a message that
    waits forever (a module moved, its `autodiscover_tasks` line not)."""
    code = (
        "import importlib, json, sys\n"
        "print(json.dumps({m: sorted(importlib.import_module(m).app.tasks) for m in sys.argv[1:]}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code, *PROCESSES],
        env={**os.environ, "SUPPORTBOT_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    registered = json.loads(found.stdout.splitlines()[-1])
    routes = create_app(WorkerSettings(_env_file=None, data_dir=tmp_path)).conf.task_routes  # type: ignore[call-arg]
    platform_tasks = [
        task
        for platform in ("slack", "discord")
        for task in (names.notice(platform), names.digest(platform))
    ]
    wanted = {name: route["queue"] for name, route in routes.items() if "*" not in name}
    wanted |= {task: names.DELIVERY_QUEUE for task in platform_tasks}
    for name, queue in wanted.items():
        runs_it = [m for m, queues in PROCESSES.items() if queue in queues]
        assert runs_it and all(name in registered[m] for m in runs_it), (name, queue, registered)


def test_a_retried_event_has_the_same_key():
    first = Question(platform="slack", workspace="T1", text="hi", event_id="Ev1")
    retry = Question(platform="slack", workspace="T1", text="hi again", event_id="Ev1")
    other = Question(platform="slack", workspace="T2", text="hi", event_id="Ev1")
    assert first.key == retry.key != other.key
