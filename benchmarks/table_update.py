"""After an ingest, the owner's chunks in memory: updated with the changed pages only, against
reading the whole store again (issue: ingest speed, item 2).

The obsidian bench set's docs are ingested into a fresh Milvus Lite file, copied (as
`benchmarks/retrieval_stages.py --chunks` does) until it holds about `--chunks`, and then one page
is edited and ingested again. Prints the full read's time, the incremental update's, and the
whole ingest of that one page; and, at that size, what the table holds (MB) and the hybrid
search's p50 / p95 over the set's questions.

Usage: .venv/bin/python benchmarks/table_update.py [--chunks 10000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval_stages import held_mb, replicate

from knowledge.base import KnowledgeBase
from knowledge.chunk_table import ChunkTable
from knowledge.evaluation import load_questions, percentile
from knowledge.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "obsidian" / "docs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        docs = Path(folder) / "docs"
        shutil.copytree(DOCS, docs)
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=Path(folder) / "data"))
        try:
            kb.ingest([docs])
            held = replicate(kb, args.chunks)
            started = time.perf_counter()
            kb.retriever.table = ChunkTable.read(kb.store, kb.settings.bm25_analyzer)
            full = time.perf_counter() - started
            page = next(docs.rglob("*.md"))
            page.write_text(page.read_text() + "\n\nOne more sentence, edited today.\n")
            updates: list[float] = []
            real = KnowledgeBase._update_table

            def timed(self: KnowledgeBase, ingestor: object) -> bool:
                started = time.perf_counter()
                done = real(self, ingestor)  # type: ignore[arg-type]
                updates.append(time.perf_counter() - started)
                return done

            KnowledgeBase._update_table = timed  # type: ignore[method-assign]
            started = time.perf_counter()
            report = kb.ingest([docs])
            whole = time.perf_counter() - started
            size = held_mb(kb.retriever.table)
            questions = [q.question for q in load_questions(DOCS.parent / "questions.jsonl")]
            kb.search("warm up")
            waits = []
            for question in questions:
                started = time.perf_counter()
                kb.search(question)
                waits.append((time.perf_counter() - started) * 1000)
        finally:
            kb.close()
    print(f"{held:,} chunks in the store; one page changed ({report.updated} updated, "
          f"{report.chunks} chunks embedded)")  # fmt: skip
    print(f"  read every chunk again:        {full:6.2f} s")
    print(f"  update the changed page only:  {updates[0]:6.2f} s ({full / updates[0]:.0f}x less)")
    print(f"  the whole ingest of that page: {whole:6.2f} s")
    print(f"the table holds ~{size:.0f} MB; hybrid search p50 {percentile(waits, 0.5):.1f} ms, "
          f"p95 {percentile(waits, 0.95):.1f} ms over {len(waits)} questions")  # fmt: skip


if __name__ == "__main__":
    main()
