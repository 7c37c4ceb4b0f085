"""Where a hybrid search's time goes, stage by stage (issue 13, item 6), on a bench index.

Stages, each timed on its own for every question of the set: embedding the question, Milvus's
dense search, Milvus's BM25 search, the page fusion, reading the first pages' stored sentence
vectors, and the sentence rerank; then the whole `search()` as the bot runs it (BM25 beside the
embedding). p50 / p95 in ms.

Usage: .venv/bin/python benchmarks/retrieval_stages.py [--set obsidian] [--bench ../shared/bench]
(the index is data/bench/<set>, made by benchmarks/answers.py or `supportbot ingest`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from llama_index.core.schema import MetadataMode
from llama_index.core.vector_stores.types import VectorStoreQueryMode

from knowledge.base import KnowledgeBase
from knowledge.evaluation import load_questions, percentile
from knowledge.fusion import fuse_pages
from knowledge.rerank import RERANK_DEPTH, SENTENCE_VECTORS
from knowledge.settings import Settings
from knowledge.store import stored_fields

REPO = Path(__file__).resolve().parent.parent
WIDTH = 30  # candidates per search, as the retriever asks for top_k <= 10


def measure(kb: KnowledgeBase, question: str, times: dict[str, list[float]]) -> None:
    """Each stage of one hybrid search, timed on its own, then the whole search."""
    retriever = kb.retriever

    def timed(stage: str, call):
        started = time.perf_counter()
        result = call()
        times[stage].append((time.perf_counter() - started) * 1000)
        return result

    vector = timed("embed question", lambda: kb.embed.get_query_embedding(question))
    dense = timed("dense search", lambda: retriever._query(
        VectorStoreQueryMode.DEFAULT, question, vector, WIDTH, None))  # fmt: skip
    bm25 = timed("BM25 search", lambda: retriever._query(
        VectorStoreQueryMode.TEXT_SEARCH, question, None, WIDTH, None))  # fmt: skip
    pages = timed("fusion", lambda: fuse_pages(
        [h for h, _ in dense], [h for h, _ in bm25], bm25_weight=retriever.bm25_weight
    ))  # fmt: skip
    nodes = {h.chunk_id: n for h, n in (*dense, *bm25)}
    first = pages[:RERANK_DEPTH]
    chunks = [p.best_chunk for p in first]
    stored = timed("sentence vectors", lambda: stored_fields(kb.store, chunks, SENTENCE_VECTORS))
    sources = {s.doc_id: s for s in kb.search(question, top_k=len(pages), mode="dense")}
    pages_texts = [
        (sources[p.doc_id], [(nodes[p.best_chunk].get_content(MetadataMode.NONE),
                              stored.get(p.best_chunk))])
        for p in first if p.doc_id in sources
    ]  # fmt: skip
    timed("rerank", lambda: retriever.reranker.rerank(vector, pages_texts))
    timed("whole search()", lambda: kb.search(question, top_k=4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="obsidian")
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    args = parser.parse_args()
    kb = KnowledgeBase(Settings(_env_file=None, data_dir=REPO / "data" / "bench" / args.set))
    questions = [q.question for q in load_questions(args.bench / args.set / "questions.jsonl")]
    times: dict[str, list[float]] = defaultdict(list)
    for question in questions:
        measure(kb, question, times)
    kb.close()
    print(f"hybrid search stages on {args.set} ({len(questions)} questions), ms")
    print(f"{'stage':18} {'p50':>7} {'p95':>7}")
    for stage, values in times.items():
        print(f"{stage:18} {statistics.median(values):7.1f} {percentile(values, 0.95):7.1f}")


if __name__ == "__main__":
    main()
