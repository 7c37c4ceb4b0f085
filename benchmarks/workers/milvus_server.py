"""Past one machine (issue: several knowledge workers on one Milvus endpoint): what a search
costs through a Milvus server against the Lite owner's table, and answers/s with 1, 2 and 4
knowledge workers sharing the server.

The docs (default: the obsidian bench set, 1,718 chunks) are ingested once into a Milvus Lite
folder; the same folder is then served by `python -m milvus_lite server` (Milvus's gRPC API, the
engine in Python) on 127.0.0.1. Printed:
- a hybrid search's p50 / p95 over the set's questions: the Lite owner (chunks in memory) and
  a process searching through the server, and of the latter, the part spent inside the Milvus
  client's calls (the endpoint: gRPC and its engine) against ours (embedding, fusion, rerank);
- answers/s and p50 / p95 seconds to an answer for 32 questions at once, with 1, 2 and 4
  knowledge workers (`--pool threads --concurrency 4` each, quoting backend, Redis), all on
  this machine's cores.

Usage: .venv/bin/python benchmarks/workers/milvus_server.py [--docs DIR] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline import REDIS, burst, running

from knowledge.answers.evaluation import load_questions, percentile
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings
from tests.support.processes import MilvusServer, Worker, settings_from
from workers.settings import WorkerSettings

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench" / "obsidian"


def searches(kb: KnowledgeBase, questions: list[str]) -> tuple[list[float], list[float]]:
    """Each question's whole search (ms), and the time some call into the Milvus client was
    running during it (ms; the dense and BM25 searches run at once, so their union)."""
    client = kb.store.client
    spans: list[tuple[float, float]] = []
    real = {name: getattr(client, name) for name in ("search", "hybrid_search", "query", "get")}

    def timed(call):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spans.append((started, time.perf_counter()))

        return wrapper

    for name, call in real.items():
        setattr(client, name, timed(call))
    kb.search("warm up")
    whole, inside = [], []
    for question in questions:
        spans.clear()
        started = time.perf_counter()
        kb.search(question)
        whole.append((time.perf_counter() - started) * 1000)
        inside.append(union(spans) * 1000)
    return whole, inside


def union(spans: list[tuple[float, float]]) -> float:
    """How long at least one of the spans was open."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def line(label: str, values: list[float]) -> str:
    return (
        f"{label:46} p50 {percentile(values, 0.5):6.1f} ms  p95 {percentile(values, 0.95):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=BENCH / "docs")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--burst", type=int, default=32)
    args = parser.parse_args()
    questions = [q.question for q in load_questions(BENCH / "questions.jsonl")]
    root = Path(tempfile.mkdtemp(prefix="milvus-server-"))
    try:
        lite = Settings(_env_file=None, data_dir=root / "lite")
        kb = KnowledgeBase(lite)
        try:
            report = kb.ingest([args.docs])
            owner, _ = searches(kb, questions)
        finally:
            kb.close()
        shutil.copytree(root / "lite" / "knowledge.db", root / "served")
        server = MilvusServer(root / "served", root / "milvus.log")
        try:
            server.wait_ready()
            shared = Settings(_env_file=None, data_dir=root / "lite", milvus_uri=server.uri)
            kb = KnowledgeBase(shared)
            try:
                whole, inside = searches(kb, questions)
            finally:
                kb.close()
            print(f"{report.chunks:,} chunks; {len(questions)} questions")
            print(line("Lite owner (chunks in memory)", owner))
            print(line("through the server: the whole search", whole))
            print(line("  of which inside the Milvus client (endpoint)", inside))
            print(line("  of which ours (embedding, fusion, rerank)",
                       [w - i for w, i in zip(whole, inside, strict=True)]))  # fmt: skip
            print(f"\n| knowledge workers | answers/s ({args.burst} at once) | p50 s | p95 s |")
            print("| --- | --- | --- | --- |")
            for count in (int(n) for n in args.workers.split(",") if n):
                redis.Redis.from_url(REDIS).flushdb()
                env = {"SUPPORTBOT_DATA_DIR": str(root / f"w{count}"),
                       "SUPPORTBOT_MILVUS_URI": server.uri, "SUPPORTBOT_BROKER_URL": REDIS,
                       "SUPPORTBOT_GENERATOR": "extractive", "C_FORCE_ROOT": "1"}  # fmt: skip
                workers = [Worker(env, root / f"w{count}-{n}.log", name=f"k{n}@bench")
                           for n in range(count)]  # fmt: skip
                records_url = settings_from(WorkerSettings, env).resolved_records_url
                with running(workers):
                    burst(env, records_url, 4, f"warm{count}")
                    rate, waits = burst(env, records_url, args.burst, f"w{count}")
                print(f"| {count} | {rate:.2f} | {statistics.median(waits):.2f} "
                      f"| {percentile(waits, 0.95):.2f} |", flush=True)  # fmt: skip
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
