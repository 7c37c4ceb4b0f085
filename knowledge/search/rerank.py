"""Rerank the first pages by their best sentence: the page that says the answer beats the page
that is about the same topic.

A chunk's embedding averages a whole section, so sibling pages ("Cancel your subscription",
"Downgrade your subscription") score alike. Each sentence of a chunk is embedded with its heading
trail ("Billing › Downgrade: Only admins can downgrade.") once, at ingest
(`knowledge.index.sentences`), and kept beside the chunk in the index as int8; a search reads them
for the first pages' chunks and a page's score becomes its fused score plus `weight × its best
sentence's cosine similarity`. A chunk indexed before the vectors existed has its sentences
embedded at search time instead (about 300 ms for five long pages on two cores), kept in a
bounded cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from knowledge.index.sentences import decode_vectors, sentences, unit
from knowledge.models import Source

#: How many of the first pages are reranked; the rest keep their fused order.
RERANK_DEPTH = 5
_CACHE_SENTENCES = 50_000


def reorder(sources: Sequence[Source], weight: float) -> list[Source]:
    """Pages by fused score plus `weight` × best-sentence similarity (pure; stable on ties)."""
    scored = [
        s.model_copy(update={"score": s.score + weight * (s.sentence_similarity or 0.0)})
        for s in sources
    ]
    return sorted(scored, key=lambda s: -s.score)


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
        question = unit(np.asarray(question_vector, dtype=np.float32))
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
                found = unit(
                    np.asarray(self.embed.get_text_embedding_batch(missing), dtype=np.float32)
                )
                self._vectors.update(zip(missing, found, strict=True))
            for text in texts:
                self._vectors.move_to_end(text)
            wanted = np.array([self._vectors[t] for t in texts], dtype=np.float32)
            while len(self._vectors) > _CACHE_SENTENCES:
                self._vectors.popitem(last=False)
        return wanted.reshape(len(texts), -1)
