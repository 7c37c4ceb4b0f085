"""Rerank the first pages by their best sentence: the page that says the answer beats the page
that is about the same topic.

A chunk's embedding averages a whole section, so sibling pages ("Cancel your subscription",
"Downgrade your subscription") score alike. Each sentence of a chunk is embedded with its heading
trail ("Billing › Downgrade: Only admins can downgrade.") once, at ingest (`SentenceVectors`),
and kept beside the chunk in the index as int8; a search reads them for the first pages' chunks
and a page's score becomes its fused score plus `weight × its best sentence's cosine
similarity`. A chunk indexed before the vectors existed has its sentences embedded at search
time instead (about 300 ms for five long pages on two cores), kept in a bounded cache.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent
from pydantic import PrivateAttr

from knowledge.models import Source
from knowledge.passages import passages

#: How many of the first pages are reranked; the rest keep their fused order.
RERANK_DEPTH = 5
#: The chunk field (Milvus dynamic field) that holds the chunk's sentence vectors.
SENTENCE_VECTORS = "sentence_vectors"
_CACHE_SENTENCES = 50_000
#: A chunk of more sentences (a long table's rows) keeps none: a search embeds them if needed.
#: This keeps a chunk's row well within Milvus's size limit for dynamic fields.
MAX_STORED_SENTENCES = 32
_INT8 = 127.0


def sentences(text: str, title: str) -> list[str]:
    """A chunk's (or a page's) sentences as embedded: each with its heading trail."""
    return [f"{p.heading}: {s}" for p in passages(text, title) for s in p.sentences]


def encode_vectors(vectors: np.ndarray) -> str:
    """Unit vectors as int8 in base64: a quarter of float32's size, cosines within ~0.01."""
    quantised = np.clip(np.rint(vectors * _INT8), -_INT8, _INT8).astype(np.int8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def decode_vectors(blob: str, count: int, dim: int) -> np.ndarray | None:
    """The vectors `encode_vectors` wrote, or None unless they are `count` vectors of `dim`
    (a chunk split into other sentences by a newer version, or another embedding model)."""
    try:
        raw = np.frombuffer(base64.b64decode(blob, validate=True), dtype=np.int8)
    except ValueError:
        return None
    if count == 0 or raw.size != count * dim:
        return None
    return raw.reshape(count, dim).astype(np.float32) / _INT8


def reorder(sources: Sequence[Source], weight: float) -> list[Source]:
    """Pages by fused score plus `weight` × best-sentence similarity (pure; stable on ties)."""
    scored = [
        s.model_copy(update={"score": s.score + weight * (s.sentence_similarity or 0.0)})
        for s in sources
    ]
    return sorted(scored, key=lambda s: -s.score)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


class SentenceVectors(TransformComponent):
    """Ingest step: embed every chunk's sentences and keep them in the chunk's metadata (never
    embedded with the chunk nor shown to the model)."""

    _embed: BaseEmbedding = PrivateAttr()

    def __init__(self, embed: BaseEmbedding, **data: Any) -> None:
        super().__init__(**data)
        self._embed = embed

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        texts = [
            sentences(node.get_content(MetadataMode.NONE), str(node.metadata.get("title", "")))
            for node in nodes
        ]
        # Each distinct sentence once (chunks overlap, headings repeat), shortest first, so each
        # batch pads to a similar length: 1.5x faster on the obsidian bench's 9,715 sentences.
        flat = sorted({t for chunk in texts if len(chunk) <= MAX_STORED_SENTENCES for t in chunk},
                      key=len)  # fmt: skip
        if not flat:
            return list(nodes)
        found = _unit(np.asarray(self._embed.get_text_embedding_batch(flat), dtype=np.float32))
        row = {text: n for n, text in enumerate(flat)}
        for node, chunk in zip(nodes, texts, strict=True):
            if not chunk or len(chunk) > MAX_STORED_SENTENCES:
                continue
            vectors = found[[row[text] for text in chunk]]
            node.metadata[SENTENCE_VECTORS] = encode_vectors(vectors)
            for excluded in (node.excluded_embed_metadata_keys, node.excluded_llm_metadata_keys):
                if SENTENCE_VECTORS not in excluded:
                    excluded.append(SENTENCE_VECTORS)
        return list(nodes)


class SentenceReranker:
    """Scores pages by their best sentence with the retriever's own embedding model."""

    def __init__(self, embed: BaseEmbedding, weight: float) -> None:
        self.embed = embed
        self.weight = weight
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # one cache, whichever thread searches

    def rerank(
        self,
        question_vector: Sequence[float],
        pages: Sequence[tuple[Source, Sequence[tuple[str, str | None]]]],
    ) -> list[Source]:
        """The pages (each with its chunks' texts and stored sentence vectors, if any) with the
        first `RERANK_DEPTH` reordered, each of those with its best sentence's similarity."""
        sources = [source for source, _ in pages]
        if self.weight <= 0 or not pages:
            return sources
        question = _unit(np.asarray(question_vector, dtype=np.float32))
        scored = []
        for source, chunks in pages[:RERANK_DEPTH]:
            vectors = self._chunk_vectors(source, chunks, question.size)
            best = max((float(np.max(v @ question)) for v in vectors if len(v)), default=None)
            scored.append(source.model_copy(update={"sentence_similarity": best}))
        return [*reorder(scored, self.weight), *sources[RERANK_DEPTH:]]

    def _chunk_vectors(
        self, source: Source, chunks: Sequence[tuple[str, str | None]], dim: int
    ) -> list[np.ndarray]:
        found = []
        for text, blob in chunks:
            said = sentences(text, source.title)
            stored = decode_vectors(blob, len(said), dim) if blob else None
            found.append(stored if stored is not None else self._embed(said))
        return found

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of sentences the index holds none for, through the bounded cache."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if missing:
                found = _unit(
                    np.asarray(self.embed.get_text_embedding_batch(missing), dtype=np.float32)
                )
                self._vectors.update(zip(missing, found, strict=True))
            for text in texts:
                self._vectors.move_to_end(text)
            wanted = np.array([self._vectors[t] for t in texts], dtype=np.float32)
            while len(self._vectors) > _CACHE_SENTENCES:
                self._vectors.popitem(last=False)
        return wanted.reshape(len(texts), -1)
