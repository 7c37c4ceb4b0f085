"""Ingest throughput against a plain LlamaIndex pipeline, at today's quality (issue: ingest a
help center at least as fast as a plain LlamaIndex pipeline).

In one run, on one bench set's docs (default obsidian, 173 pages):
- the product: `KnowledgeBase.ingest` into a fresh Milvus Lite file, with the stages it spent its
  time in (from a profile of the same run);
- the peer: LlamaIndex defaults, `SimpleDirectoryReader` + `SentenceSplitter(256, 32)` + the
  same MiniLM (the same ONNX graph), into Milvus Lite through `VectorStoreIndex`.
Then the product's hybrid hit@1 and MRR on the set's questions, beside the committed baseline
(benchmarks/results/retrieval_SET.json).

`--int8` measures a lever not yet in the product: the product (ingest and queries) on an int8
copy of the ONNX graph (onnxruntime's dynamic quantisation); the peer stays on fp32.

Usage: .venv/bin/python benchmarks/retrieval/ingest_speed.py [--set obsidian] [--int8]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from knowledge.answers.evaluation import MRR_DEPTH, evaluate_retrieval, load_questions
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
RESULTS = Path(__file__).resolve().parents[1] / "results"
#: Where an ingest's time goes: a profile's cumulative time of these functions.
STAGES = {
    "read and chunk": ("documents.py", "read"),
    "sentence vectors (rerank)": ("rerank.py", "__call__"),
    "chunk vectors": ("base.py", "__call__"),
    "write to Milvus": ("ingest.py", "_replace"),
}


def product(docs: Path, root: Path) -> tuple[float, int, dict[str, float], KnowledgeBase]:
    kb = KnowledgeBase(Settings(_env_file=None, data_dir=root / "product"))
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    report = kb.ingest([docs])
    profile.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    stages = {}
    for stage, (file, function) in STAGES.items():
        rows = [
            row[3] for key, row in stats.items() if key[0].endswith(file) and key[2] == function
        ]
        stages[stage] = max(rows, default=0.0)
    return seconds, report.chunks, stages, kb


def peer(docs: Path, root: Path, settings: Settings) -> tuple[float, int]:
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.constants import DEFAULT_EMBED_BATCH_SIZE
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.milvus import MilvusVectorStore

    from knowledge.index.embedding import load_embedding

    embed = load_embedding(settings)
    embed.embed_batch_size = DEFAULT_EMBED_BATCH_SIZE  # LlamaIndex's own default, not ours
    dim = len(embed.get_text_embedding("dimension probe"))
    started = time.perf_counter()
    documents = SimpleDirectoryReader(str(docs), recursive=True, required_exts=[".md"]).load_data()
    nodes = SentenceSplitter(chunk_size=256, chunk_overlap=32).get_nodes_from_documents(documents)
    store = MilvusVectorStore(uri=str(root / "peer.db"), dim=dim, overwrite=True)
    VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store),
                     embed_model=embed)  # fmt: skip
    return time.perf_counter() - started, len(nodes)


def quantised() -> None:
    """Every embedding the product loads from now on is an int8 copy of the fp32 graph."""
    import shutil

    from onnxruntime.quantization import QuantType, quantize_dynamic

    import knowledge.search.base
    from knowledge.index.embedding import load_embedding
    from knowledge.index.onnx_embedding import GRAPH, OnnxEmbedding

    fp32 = Path(load_embedding(Settings(_env_file=None)).model_name)
    int8 = Path(tempfile.mkdtemp()) / "int8"
    shutil.copytree(fp32, int8)
    quantize_dynamic(str(fp32 / GRAPH), str(int8 / GRAPH), weight_type=QuantType.QInt8)
    knowledge.search.base.load_embedding = lambda settings: OnnxEmbedding(  # type: ignore[assignment]
        int8, embed_batch_size=settings.embedding_batch_size
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="obsidian")
    parser.add_argument("--int8", action="store_true")
    args = parser.parse_args()
    if args.int8:
        quantised()
    docs = BENCH / args.set / "docs"
    pages = len(list(docs.rglob("*.md")))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ours, chunks, stages, kb = product(docs, root)
        theirs, peer_chunks = peer(docs, root, kb.settings)
        print(f"{args.set}: {pages} pages")
        print(f"{'pipeline':10} {'chunks':>7} {'seconds':>8} {'pages/s':>8}")
        print(f"{'product':10} {chunks:>7} {ours:>8.1f} {pages / ours:>8.2f}")
        print(f"{'peer':10} {peer_chunks:>7} {theirs:>8.1f} {pages / theirs:>8.2f}")
        print(f"product pages/s / peer pages/s: {theirs / ours:.2f}")
        print("where the product's time went:")
        for stage, seconds in stages.items():
            print(f"  {stage:28} {seconds:6.1f} s ({seconds / ours:.0%})")
        questions = load_questions(BENCH / args.set / "questions.jsonl")
        (now,) = evaluate_retrieval(lambda q, m: kb.search(q, top_k=MRR_DEPTH, mode=m),
                                    questions, ["hybrid"])  # fmt: skip
        kb.close()
    baseline = json.loads((RESULTS / f"retrieval_{args.set}.json").read_text())
    base = next(s for s in baseline["scores"] if s["mode"] == "hybrid")
    print(f"hybrid hit@1 {now.hit_at_1:.3f} (baseline {base['hit_at_1']:.3f}), "
          f"MRR {now.mrr:.3f} (baseline {base['mrr']:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
