"""Knowledge-base figures, printed in one run (issue: knowledge base).

1. Retrieval quality on ../shared/bench (coda, obsidian): hit@1, hit@5, MRR per search mode.
2. Search latency at ~10k chunks on Milvus Lite: the store's own dense and BM25 queries, and the
   whole `search()` (question embedding included), p50/p95.
3. Ingest throughput in chunks/s beside the raw embedding throughput of the same model on the same
   chunks; the ratio is the figure (goal >= 0.85).

Usage: .venv/bin/python benchmarks/retrieval/knowledge_base.py [--bench ../shared/bench]
       [--pages 60]
Indexes for (1) are kept under data/bench/ so a second run skips re-embedding them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

from knowledge.answers.evaluation import MRR_DEPTH, evaluate_retrieval, load_questions, percentile
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings

REPO = Path(__file__).resolve().parents[2]
TARGET_CHUNKS = 10_000


def timed(fn, runs: list) -> list[float]:
    out = []
    for item in runs:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def quality(bench: Path) -> KnowledgeBase | None:
    print("== retrieval quality on shared/bench (page level, top 10) ==")
    print(f"{'set':9} {'mode':7} {'hit@1':>6} {'hit@5':>6} {'MRR':>6} {'p50 ms':>7} {'p95 ms':>7}")
    obsidian = None
    for name in ("coda", "obsidian"):
        folder = bench / name
        if not folder.is_dir():
            print(f"{name}: not found under {bench}, skipped")
            continue
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=REPO / "data" / "bench" / name))
        kb.ingest([folder / "docs"])
        questions = load_questions(folder / "questions.jsonl")
        scores = evaluate_retrieval(
            lambda q, m, kb=kb: kb.search(q, top_k=MRR_DEPTH, mode=m),
            questions,
            ["hybrid", "dense", "rrf"],
        )
        for s in scores:
            print(
                f"{name:9} {s.mode:7} {s.hit_at_1:6.3f} {s.hit_at_5:6.3f} {s.mrr:6.3f} "
                f"{s.p50_ms:7.1f} {s.p95_ms:7.1f}"
            )
        if name == "obsidian":
            obsidian = kb
        else:
            kb.close()
    return obsidian


def latency(source: KnowledgeBase, questions: list[str]) -> None:
    """Replicate real chunks (with their real vectors) into a ~10k-chunk collection and time it."""
    client, name = source.store.client, source.store.collection_name
    fields = ["id", "doc_id", "text", "embedding", "title", "url", "section", "collection", "path"]
    rows = client.query(name, filter="", output_fields=fields, limit=16_384)
    copies = -(-TARGET_CHUNKS // len(rows))
    target = "latency_10k"
    if target in client.list_collections():
        client.drop_collection(target)
    settings = source.settings.model_copy(update={"milvus_collection": target})
    from knowledge.index.store import open_store  # the same schema and index as the real one

    store = open_store(settings, len(rows[0]["embedding"]))
    for copy in range(copies):
        batch = [{**r, "id": f"{r['id']}~{copy}", "doc_id": f"{r['doc_id']}~{copy}"} for r in rows]
        store.client.insert(target, batch)
    store.client.flush(target)
    total = store.client.get_collection_stats(target)["row_count"]
    vector = source.embed.get_query_embedding("warm up")
    embed_ms = timed(source.embed.get_query_embedding, questions)
    vectors = [source.embed.get_query_embedding(q) for q in questions]

    def query(mode: VectorStoreQueryMode):
        def run(i: int) -> None:
            store.query(
                VectorStoreQuery(
                    query_embedding=vectors[i],
                    query_str=questions[i],
                    similarity_top_k=30,
                    mode=mode,
                )
            )

        return run

    store.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=5))
    index = list(range(len(questions)))
    dense_ms = timed(query(VectorStoreQueryMode.DEFAULT), index)
    bm25_ms = timed(query(VectorStoreQueryMode.TEXT_SEARCH), index)
    kb = KnowledgeBase(settings)
    full = {m: timed(lambda q, m=m: kb.search(q, mode=m), questions) for m in ("hybrid", "dense")}
    print(f"\n== search latency on Milvus Lite, {total} chunks, {len(questions)} questions ==")
    print(f"{'what':34} {'p50 ms':>7} {'p95 ms':>7}")
    for label, values in (
        ("store: dense query (top 30)", dense_ms),
        ("store: BM25 query (top 30)", bm25_ms),
        ("question embedding (MiniLM, CPU)", embed_ms),
        ("search(), hybrid, end to end", full["hybrid"]),
        ("search(), dense, end to end", full["dense"]),
    ):
        print(f"{label:34} {statistics.median(values):7.1f} {percentile(values, 0.95):7.1f}")
    kb.store.client.drop_collection(target)
    kb.close()


def throughput(docs: Path, pages: int) -> None:
    """Ingest a fresh sample, then embed exactly the same chunk texts with the bare model."""
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "docs"
        for i, file in enumerate(sorted(p for p in docs.rglob("*.md"))[:pages]):
            target = sample / f"{i:03d}-{file.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(file, target)
        kb = KnowledgeBase(Settings(_env_file=None, data_dir=Path(tmp) / "data"))
        report = kb.ingest([sample])
        rate = report.chunks / report.seconds
        rows = kb.store.client.query(
            kb.store.collection_name, filter="", output_fields=["text"], limit=16_384
        )
        texts = [r["text"] for r in rows]
        started = time.perf_counter()
        kb.embed.get_text_embedding_batch(texts)  # the same model, alone
        raw = len(texts) / (time.perf_counter() - started)
        kb.close()
    print(f"\n== ingest throughput, {report.documents} pages, {report.chunks} chunks ==")
    print(f"ingest (read, chunk, embed, store, flush): {rate:6.1f} chunks/s")
    print(f"raw embedding of the same chunks:          {raw:6.1f} chunks/s")
    print(f"ratio: {rate / raw:.2f}  (goal >= 0.85)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--pages", type=int, default=60, help="pages for the throughput sample")
    args = parser.parse_args()
    obsidian = quality(args.bench)
    if obsidian is not None:
        questions = [q.question for q in load_questions(args.bench / "obsidian/questions.jsonl")]
        latency(obsidian, questions)
        throughput(args.bench / "obsidian" / "docs", args.pages)


if __name__ == "__main__":
    main()
