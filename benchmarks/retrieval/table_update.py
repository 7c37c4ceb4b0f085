"""The owner's chunks in memory at scale (issue: ingest speed, items 2 and 3): start, memory,
search and the update after an ingest, beside the goals at 100k chunks.

The obsidian bench set's docs are ingested into a fresh Milvus Lite file and copied (as
`benchmarks/retrieval/retrieval_stages.py --chunks` does) until it holds about `--chunks`. Then,
each in a fresh process so memory is the table's:
- the first start, with no saved table for these rows: every chunk read from the store (the
  cost before `knowledge.search.table_file`), and the table saved;
- the next start: the saved table loaded, its time and the process's memory growth (RSS) from
  it, and the hybrid search's p50 / p95 over the set's questions;
- one page edited and ingested again: the table updated with that page only (and saved).

Usage: .venv/bin/python benchmarks/retrieval/table_update.py [--chunks 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval_stages import replicate

from knowledge.answers.evaluation import load_questions, percentile
from knowledge.search import table_file
from knowledge.search.base import KnowledgeBase
from knowledge.search.chunk_table import ChunkTable
from knowledge.settings import Settings

DOCS = Path(__file__).resolve().parents[3] / "shared" / "bench" / "obsidian" / "docs"
GOALS = {"start": 5.0, "memory": 300.0, "p50": 20.0}


def measure(data: Path, docs: Path) -> dict[str, float]:
    """One start of a fresh process's knowledge base: what it cost and what it holds."""
    import psutil

    process = psutil.Process()
    spent: dict[str, float] = {}
    real_load, real_read = table_file.load, ChunkTable.read

    def timed(name: str, call, *args):  # type: ignore[no-untyped-def]
        rss, started = process.memory_info().rss, time.perf_counter()
        found = call(*args)
        spent[f"{name} s"] = spent.get(f"{name} s", 0.0) + time.perf_counter() - started
        spent[f"{name} MB"] = (process.memory_info().rss - rss) / 1e6
        return found

    table_file.load = lambda *a: timed("load", real_load, *a)  # type: ignore[assignment]
    ChunkTable.read = lambda *a: timed("read", real_read, *a)  # type: ignore[assignment,method-assign]
    started = time.perf_counter()
    kb = KnowledgeBase(Settings(_env_file=None, data_dir=data))
    spent["open s"] = time.perf_counter() - started
    try:
        spent["chunks"] = len(kb.retriever.table or ())
        questions = [q.question for q in load_questions(DOCS.parent / "questions.jsonl")]
        kb.search("warm up")
        waits = []
        for question in questions:
            started = time.perf_counter()
            kb.search(question)
            waits.append((time.perf_counter() - started) * 1000)
        spent["p50"], spent["p95"] = percentile(waits, 0.5), percentile(waits, 0.95)
        page = next(docs.rglob("*.md"))
        page.write_text(page.read_text() + "\n\nOne more sentence, edited today.\n")
        real_update = KnowledgeBase._update_table
        KnowledgeBase._update_table = lambda self, i: timed("update", real_update, self, i)  # type: ignore[method-assign]
        started = time.perf_counter()
        kb.ingest([docs])
        spent["ingest s"] = time.perf_counter() - started
    finally:
        kb.close()
    return spent


def fresh(data: Path, docs: Path) -> dict[str, float]:
    found = subprocess.run([sys.executable, __file__, "--measure", str(data), str(docs)],
                           check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        docs, data = Path(folder) / "docs", Path(folder) / "data"
        shutil.copytree(DOCS, docs)
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=data))
        try:
            kb.ingest([docs])
            held = replicate(kb, args.chunks)  # behind the saved table's back: it is stale
        finally:
            kb.close()
        first, second = fresh(data, docs), fresh(data, docs)
    print(f"{held:,} chunks in the store")
    print(f"  first start, no saved table: read every chunk {first['read s']:6.2f} s, "
          f"then saved; the process grew {first['read MB']:.0f} MB while reading")  # fmt: skip
    print(f"  next start, saved table:     load {second['load s']:6.2f} s "
          f"(goal <= {GOALS['start']:.0f} s), the whole open {second['open s']:.2f} s")  # fmt: skip
    print(f"  memory the loaded table holds (RSS growth): {second['load MB']:.0f} MB "
          f"(goal <= {GOALS['memory']:.0f} MB)")  # fmt: skip
    print(f"  hybrid search p50 {second['p50']:.1f} ms (goal <= {GOALS['p50']:.0f} ms), "
          f"p95 {second['p95']:.1f} ms")  # fmt: skip
    print(f"  one page changed: table updated and saved in {second['update s']:.2f} s "
          f"(a full read: {first['read s']:.2f} s); "
          f"the whole ingest {second['ingest s']:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
