"""The exactly-once ledger on SQLite and on PostgreSQL (localhost), with racing claimers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.databases import POSTGRES, postgres_ready
from workers.ledger import Ledger


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path) -> Ledger:
    if request.param == "sqlite":
        return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    if not postgres_ready():
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (.ci/run starts it)")
    return Ledger(POSTGRES)


def test_only_one_of_many_racing_claims_wins(ledger):
    key = f"slack:T1:{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda _: ledger.claim(key), range(16)))
    assert wins.count(True) == 1
    assert ledger.state(key) == "claimed"


def test_answers_and_deliveries_are_remembered(ledger):
    key = f"discord:G1:{uuid.uuid4()}"
    assert ledger.answer(key) is None
    ledger.claim(key)
    ledger.record_answer(key, {"answer": {"text": "Hi [1]"}})
    assert ledger.answer(key) == {"answer": {"text": "Hi [1]"}}
    assert ledger.state(key) == "answered"
    ledger.record_delivery(key, "C1/1700000000.000100")
    assert ledger.state(key) == "delivered"


def test_a_released_claim_can_be_taken_again_but_an_answered_one_stays(ledger):
    key = f"slack:T1:{uuid.uuid4()}"
    assert ledger.claim(key)
    ledger.release(key)  # the queue refused it: the platform's retry may try again
    assert ledger.state(key) is None and ledger.claim(key)
    ledger.record_answer(key, {"answer": {"text": "Hi"}})
    ledger.release(key)
    assert ledger.state(key) == "answered" and not ledger.claim(key)
