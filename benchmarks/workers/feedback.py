"""Feedback figures, printed in one run (issue: feedback reactions become tuning data).

1. Feedback events recorded per second through the worker: a real delivery worker process
   (`bot.worker -Q feedback`, threads) on Redis, the store on SQLite and on PostgreSQL; the
   events are enqueued as the adapters enqueue them, and the clock stops when the store holds
   every vote.
2. `tune` time per 100 examples on the tiny local model (CPU here), one epoch, for growing exports,
   with the held-out loss before and after.

Usage: .venv/bin/python benchmarks/workers/feedback.py [--events 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

import redis
from sqlalchemy import func, select

from knowledge.models import Feedback
from knowledge.records.export import export
from knowledge.records.store import Posted, Records
from knowledge.records.tables import Vote
from knowledge.tuning.data import load_local
from knowledge.tuning.train import TuneOptions, tune
from tests.conftest import SAMPLE_DOCS, make_settings
from tests.support.answers import OPTED_IN, answered, asked, record_rated
from tests.support.databases import fresh_postgres
from tests.support.processes import Worker, client_app
from tests.tiny_model import build_tiny_hub
from workers import enqueue

REDIS = "redis://127.0.0.1:6379/14"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def events_per_second(label: str, url: str, root: Path, events: int) -> None:
    redis.Redis.from_url(REDIS).flushdb()
    answers, users = events // 10, 10
    store = Records(url)
    for n in range(answers):
        store.record_answer(asked(f"Ev{n}"), answered(), Posted(f"C1/{n}.0", f"C1/{n}.0"))
    env = {"SUPPORTBOT_DATA_DIR": str(root / label), "SUPPORTBOT_BROKER_URL": REDIS,
           "SUPPORTBOT_RECORDS_URL": url,
           "C_FORCE_ROOT": "1"}  # fmt: skip
    worker = Worker(env, root / f"{label}.log", app="bot.worker", queue="feedback", pool="threads")
    try:
        worker.wait_ready()
        celery = client_app(env)
        started = time.perf_counter()
        for i in range(events):
            enqueue.feedback(celery, store, Feedback(
                platform="slack", kind="vote", user=f"U{i % users}",
                message_ref=f"C1/{(i // users) % answers}.0", value=1 if i % 3 else -1,
                at=T0 + timedelta(milliseconds=i),
            ))  # fmt: skip
        sent = time.perf_counter() - started
        deadline = time.monotonic() + 600
        count = 0
        while time.monotonic() < deadline:
            with store.session() as session:
                count = session.scalar(select(func.count()).select_from(Vote)) or 0
            if count >= events:
                break
            time.sleep(0.05)
        took = time.perf_counter() - started
        print(f"{label}: {count}/{events} votes recorded in {took:.1f} s = "
              f"{count / took:.0f} events/s through the worker (enqueueing alone: "
              f"{events / sent:.0f} events/s)")  # fmt: skip
    finally:
        worker.stop()
        store.close()


def tune_speed(root: Path) -> None:
    corpus = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DOCS.rglob("*.md"))]
    hub = build_tiny_hub(root / "tiny", corpus)
    settings = make_settings(root / "data", base_model=hub.base_repo, hf_offline=True,
                             hf_cache_dir=hub.cache_dir)  # fmt: skip
    for size in (100, 200, 400):
        store = Records(f"sqlite:///{root / f'fb{size}.sqlite'}")
        record_rated(store, size)
        out = root / f"sft{size}.jsonl"
        export(store, out, format="sft", voice="Be brief. Cite sources.", sources=1,
               source_chars=200, held_out=0.1, consent=OPTED_IN)  # fmt: skip
        store.close()
        data = load_local(out)
        options = TuneOptions(output_dir=root / f"adapter{size}", epochs=1, learning_rate=5e-3,
                              lora_r=8, lora_alpha=16, batch_size=8, max_length=1024,
                              voice_samples=0)  # fmt: skip
        result = tune(settings, data, options)
        per_100 = result.seconds / result.train_examples * 100
        print(f"tune, {result.train_examples} examples ({result.steps} steps, 1 epoch): "
              f"{result.seconds:.1f} s incl. evaluation = {per_100:.1f} s per 100 examples; "
              f"held-out loss {result.loss_before:.3f} -> {result.loss_after:.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("== feedback events through the worker (Redis broker) ==")
        events_per_second("SQLite store", f"sqlite:///{root / 'feedback.sqlite'}", root,
                          args.events)  # fmt: skip
        with fresh_postgres("bench") as database:
            events_per_second("PostgreSQL store", database, root, args.events)
        print("\n== tune on the tiny model (CPU) ==")
        tune_speed(root)


if __name__ == "__main__":
    main()
