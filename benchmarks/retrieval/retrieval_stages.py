"""Where a hybrid search's time goes, stage by stage, before and after (issue 13, item 6).

"Milvus Lite" is the search as it ran before: the dense and BM25 queries and the sentence-vector
lookup go to Milvus Lite's in-process gRPC server. "in memory" is the search the owner of a Lite
file runs now, over the chunks it holds (`knowledge.search.chunk_table`). Both run in one process,
on one index, over the same questions, one after the other; p50 / p95 in ms. Then each path's
page hit@1, hit@5 and MRR on the set itself, and what the in-memory table costs to read and hold.

`--chunks N` copies the set's chunks (with their real vectors and texts) until the index holds
about N, in a scratch copy of the index: the issue measured 10k.

Usage: .venv/bin/python benchmarks/retrieval/retrieval_stages.py [--set obsidian] [--chunks 10000]
(the index is data/bench/<set>, made by benchmarks/answering/answers.py or `supportbot ingest`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from llama_index.core.vector_stores.types import VectorStoreQueryMode

from knowledge.answers.evaluation import evaluate_retrieval, load_questions, percentile
from knowledge.index.sentences import SENTENCE_VECTORS
from knowledge.index.store import stored_fields
from knowledge.search.base import KnowledgeBase
from knowledge.search.chunk_table import ChunkTable
from knowledge.settings import Settings

REPO = Path(__file__).resolve().parents[2]
WIDTH = 30  # candidates per search, as the retriever asks for top_k <= 10
DENSE, BM25 = VectorStoreQueryMode.DEFAULT, VectorStoreQueryMode.TEXT_SEARCH


def replicate(kb: KnowledgeBase, chunks: int) -> int:
    """Copy every chunk (new ids and pages) until the collection holds about `chunks`."""
    client, name = kb.store.client, kb.store.collection_name
    rows = client.query(name, filter="", limit=16_384, output_fields=["*"])
    for copy in range(1, -(-chunks // len(rows))):
        batch = [
            {k: v for k, v in row.items() if k != "sparse_embedding"}  # Milvus derives it
            | {"id": f"{row['id']}~{copy}", "doc_id": f"{row['doc_id']}~{copy}"}
            for row in rows
        ]
        client.insert(name, batch)
    client.flush(name)
    return int(client.get_collection_stats(name)["row_count"])


def stages(kb: KnowledgeBase, table: ChunkTable | None, questions: list[str]) -> dict[str, list]:
    """Each stage timed on its own for every question, then the whole `search()`."""
    retriever = kb.retriever
    times: dict[str, list[float]] = defaultdict(list)

    def timed(stage: str, call: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        result = call(*args)
        times[stage].append((time.perf_counter() - started) * 1000)
        return result

    retriever.table = table
    kb.search("warm up")
    for question in questions:
        vector = timed("embed question", kb.embed.get_query_embedding, question)
        if table is None:
            query = retriever._query
            dense = timed("dense search", query, DENSE, question, vector, WIDTH, None)
            timed("BM25 search", query, BM25, question, None, WIDTH, None)
            ids = [hit.chunk_id for hit, _ in dense[:10]]
            timed("sentence vectors", stored_fields, kb.store, ids, SENTENCE_VECTORS)
        else:
            dense = timed("dense search", table.dense, vector, WIDTH)
            timed("BM25 search", table.bm25, question, WIDTH)
            ids = [hit.chunk_id for hit, _ in dense[:10]]
            timed("sentence vectors", table.sentence_vectors, ids)
        timed("whole search()", kb.search, question)
    return times


def held_mb(table: ChunkTable) -> float:
    """What the table holds beyond the strings Python shares: arrays plus texts and blobs."""
    arrays = table._vectors.nbytes + table._weights.data.nbytes + table._weights.indices.nbytes
    strings = sum(len(c.text) + len(c.title) + len(c.url) + len(c.section) for c in table.chunks)
    blobs = sum(len(b) for b in table._sentence_vectors.values())
    return (arrays + strings + blobs) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="obsidian")
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--chunks", type=int, default=0, help="copy chunks up to about this many")
    args = parser.parse_args()
    index = REPO / "data" / "bench" / args.set
    scratch = Path(tempfile.mkdtemp(prefix="stages-"))
    if args.chunks:
        shutil.copytree(index, scratch / args.set)
        index = scratch / args.set
    try:
        settings = Settings(_env_file=None, data_dir=index)
        kb = KnowledgeBase(settings)
        asked = load_questions(args.bench / args.set / "questions.jsonl")
        questions = [q.question for q in asked]
        quality = {}
        for label, table in (("Milvus Lite", None), ("in memory", kb.retriever.table)):
            kb.retriever.table = table
            search = lambda q, m: kb.search(q, mode=m)  # noqa: E731
            quality[label] = evaluate_retrieval(search, asked, ["hybrid"])
        total = replicate(kb, args.chunks) if args.chunks else len(kb.retriever.table or [])
        started = time.perf_counter()
        table = ChunkTable.read(kb.store, settings.bm25_analyzer)
        read_s = time.perf_counter() - started
        before = stages(kb, None, questions)
        after = stages(kb, table, questions)
        kb.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"hybrid search stages on {args.set}: {total} chunks, {len(questions)} questions, ms")
    print(f"{'stage':18} {'Milvus Lite p50':>16} {'p95':>7} {'in memory p50':>14} {'p95':>7}")
    for stage in before:
        b, a = before[stage], after[stage]
        print(
            f"{stage:18} {statistics.median(b):16.1f} {percentile(b, 0.95):7.1f}"
            f" {statistics.median(a):14.1f} {percentile(a, 0.95):7.1f}"
        )
    print(f"table: read in {read_s:.2f} s, holds ~{held_mb(table):.0f} MB")
    print(f"page quality on {args.set} itself (hybrid): hit@1 / hit@5 / MRR")
    for label, (scores,) in quality.items():
        print(f"  {label:12} {scores.hit_at_1:.3f} / {scores.hit_at_5:.3f} / {scores.mrr:.3f}")


if __name__ == "__main__":
    main()
