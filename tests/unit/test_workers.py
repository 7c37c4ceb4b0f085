"""Worker decisions that need no broker: which pool may run, how tasks are routed."""

import pytest

from knowledge.models import Question
from workers import names
from workers.app import create_app
from workers.pools import PoolNotAllowedError, check_pool
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


def test_a_retried_event_has_the_same_key():
    first = Question(platform="slack", workspace="T1", text="hi", event_id="Ev1")
    retry = Question(platform="slack", workspace="T1", text="hi again", event_id="Ev1")
    other = Question(platform="slack", workspace="T2", text="hi", event_id="Ev1")
    assert first.key == retry.key != other.key
