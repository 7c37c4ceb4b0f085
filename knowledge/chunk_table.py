"""The index's chunks held in the owning process's memory, searched there.

Milvus Lite runs its engine in Python behind a gRPC server inside this process: at 10k chunks
a dense query costs about 15 ms and a BM25 query 30 ms, and its BM25 ignores the analyzer's
stemmer. The same two searches over numpy and scipy arrays take about a millisecond each. With
Milvus Lite exactly one process opens the file, and every write goes through its
`KnowledgeBase.ingest`, so a table read at open and read again after each ingest is never stale;
the Milvus file stays the record, and a Milvus server (shared by many processes) is searched
directly instead.

A table is never changed once built: a search in one thread sees one whole version, even while
another thread ingests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.vector_stores.milvus import MilvusVectorStore
from scipy import sparse

from knowledge.fusion import ChunkHit
from knowledge.rerank import SENTENCE_VECTORS
from knowledge.store import PRIVATE, RESULT_FIELDS, rows
from knowledge.terms import bm25_tokens

#: Milvus's default BM25 parameters (term-frequency saturation, length normalisation).
BM25_K1 = 1.2
BM25_B = 0.75
_READ_BATCH = 2_000


@dataclass(frozen=True)
class Chunk:
    """What a search returns of a chunk: its text and where it comes from."""

    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    url: str = ""
    section: str = ""
    collection: str = ""
    path: str = ""
    private: bool = False

    @classmethod
    def of(cls, chunk_id: str, text: str, fields: Mapping[str, object]) -> Chunk:
        """A chunk from its stored fields (a Milvus row or a node's metadata); a missing field is
        '', a missing page id is the chunk's own."""
        found = {name: str(fields.get(name) or "") for name in RESULT_FIELDS}
        found["doc_id"] = found["doc_id"] or chunk_id
        return cls(chunk_id, text=text, private=bool(fields.get(PRIVATE)), **found)


class ChunkTable:
    """Every chunk's text, vector, BM25 weights and stored sentence vectors, as arrays."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        *,
        analyzer: str,
        sentence_vectors: dict[str, str] | None = None,
        counts: tuple[dict[str, int], sparse.csr_matrix] | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.analyzer = analyzer
        vectors = np.asarray(vectors, dtype=np.float32)
        self._vectors = vectors.reshape(len(self.chunks), -1) if self.chunks else vectors
        self._sentence_vectors = sentence_vectors or {}
        names = sorted({c.collection for c in self.chunks})
        self._collection_codes = {name: code for code, name in enumerate(names)}
        self._collection = np.array(
            [self._collection_codes[c.collection] for c in self.chunks], dtype=np.int32
        )
        self._privacy: dict[str, bool] = dict.fromkeys(names, False)
        for chunk in self.chunks:
            self._privacy[chunk.collection] |= chunk.private
        if counts is None:  # each chunk's words, analysed: what BM25 counts
            terms: dict[str, int] = {}
            counts = terms, _term_counts([bm25_tokens(c.text, analyzer) for c in chunks], terms)
        self._terms, self._counts = counts
        self._weights = _bm25_weights(self._counts)

    @classmethod
    def read(cls, store: MilvusVectorStore, analyzer: str) -> ChunkTable:
        """Every chunk of the store's collection (a few seconds for 10k chunks)."""
        fields = [store.text_key, store.embedding_field, *RESULT_FIELDS, PRIVATE, SENTENCE_VECTORS]
        chunks: list[Chunk] = []
        vectors: list[list[float]] = []
        sentence_vectors: dict[str, str] = {}
        for row in rows(store, fields, batch_size=_READ_BATCH):
            chunk = Chunk.of(str(row["id"]), str(row.get(store.text_key) or ""), row)
            chunks.append(chunk)
            vectors.append(row[store.embedding_field])
            if blob := row.get(SENTENCE_VECTORS):
                sentence_vectors[chunk.chunk_id] = str(blob)
        return cls(chunks, np.array(vectors), analyzer=analyzer, sentence_vectors=sentence_vectors)

    def updated(
        self, dropped: set[str], added: Sequence[tuple[Chunk, Sequence[float], str]]
    ) -> ChunkTable:
        """A new table after an ingest, without reading the store again: the chunks of the
        pages in `dropped` (changed or removed) out, the `added` ones (chunk, vector, its
        sentence vectors or "") in. Each kept chunk's words are not analysed again; the BM25
        weights are (every idf and the average length move)."""
        keep = [i for i, chunk in enumerate(self.chunks) if chunk.doc_id not in dropped]
        chunks = [self.chunks[i] for i in keep] + [chunk for chunk, _, _ in added]
        parts = [self._vectors[keep]] if keep else []  # an empty table has no width yet
        if added:
            parts.append(np.asarray([vector for _, vector, _ in added], dtype=np.float32))
        vectors = np.vstack(parts) if parts else np.zeros((0,), dtype=np.float32)
        sentences = {c.chunk_id: self._sentence_vectors[c.chunk_id] for c in chunks
                     if c.chunk_id in self._sentence_vectors}  # fmt: skip
        sentences |= {chunk.chunk_id: blob for chunk, _, blob in added if blob}
        terms = dict(self._terms)  # new words get new columns; a table is never changed
        new = _term_counts([bm25_tokens(chunk.text, self.analyzer) for chunk, _, _ in added],
                           terms)  # fmt: skip
        width = max(len(terms), 1)
        kept = self._counts[keep]
        kept.resize((len(keep), width))
        new.resize((len(added), width))
        counts = sparse.vstack([kept, new], format="csr")
        return ChunkTable(chunks, vectors, analyzer=self.analyzer, sentence_vectors=sentences,
                          counts=(terms, counts))  # fmt: skip

    def __len__(self) -> int:
        return len(self.chunks)

    def dense(
        self, vector: Sequence[float], width: int, collections: Sequence[str] | None = None
    ) -> list[tuple[ChunkHit, Chunk]]:
        """The `width` chunks of highest inner product with the (unit) question vector."""
        if not self.chunks:
            return []
        scores = self._vectors @ np.asarray(vector, dtype=np.float32)
        return self._best(scores, width, collections, keep_zero=True)

    def bm25(
        self, text: str, width: int, collections: Sequence[str] | None = None
    ) -> list[tuple[ChunkHit, Chunk]]:
        """The `width` chunks of highest BM25 score for the question's words; none without any."""
        counts: dict[int, float] = {}
        for token in bm25_tokens(text, self.analyzer):
            if (column := self._terms.get(token)) is not None:
                counts[column] = counts.get(column, 0.0) + 1.0
        if not counts:
            return []
        columns = list(counts)
        scores = self._weights[:, columns] @ np.array([counts[c] for c in columns])
        return self._best(np.asarray(scores).ravel(), width, collections, keep_zero=False)

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The stored sentence vectors of these chunks (see `knowledge.rerank`), where kept."""
        return {c: self._sentence_vectors[c] for c in chunk_ids if c in self._sentence_vectors}

    def texts(self) -> list[str]:
        return [chunk.text for chunk in self.chunks]

    def collections(self) -> dict[str, bool]:
        """Each collection and whether it is private (any of its chunks is)."""
        return dict(self._privacy)

    def _best(
        self,
        scores: np.ndarray,
        width: int,
        collections: Sequence[str] | None,
        *,
        keep_zero: bool,
    ) -> list[tuple[ChunkHit, Chunk]]:
        scores = scores.astype(np.float64, copy=True)
        if collections is not None:
            wanted = [self._collection_codes[c] for c in collections if c in self._collection_codes]
            scores[~np.isin(self._collection, wanted)] = -np.inf
        if not keep_zero:
            scores[scores <= 0] = -np.inf
        width = min(width, len(scores))
        if width <= 0:
            return []
        top = np.argpartition(-scores, width - 1)[:width]
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties by position, stably
        found = [(self.chunks[i], float(scores[i])) for i in top if np.isfinite(scores[i])]
        return [(ChunkHit(chunk.chunk_id, chunk.doc_id, score), chunk) for chunk, score in found]


def _term_counts(tokenized: Sequence[Sequence[str]], terms: dict[str, int]) -> sparse.csr_matrix:
    """How often each chunk holds each term: a row per chunk, a column per term of `terms`
    (a word not in it yet gets the next column)."""
    rows: list[int] = []
    columns: list[int] = []
    for row, tokens in enumerate(tokenized):
        for token in tokens:
            rows.append(row)
            columns.append(terms.setdefault(token, len(terms)))
    shape = (len(tokenized), max(len(terms), 1))
    ones = np.ones(len(rows), dtype=np.float64)
    counts = sparse.csr_matrix((ones, (rows, columns)), shape=shape)  # duplicates are summed
    counts.sum_duplicates()
    return counts


def _bm25_weights(counts: sparse.csr_matrix) -> sparse.csc_matrix:
    """Each (chunk, term) BM25 weight from the term counts, so a search only adds columns:
    weight = idf × tf·(k1+1) / (tf + k1·(1 − b + b·length/average length))."""
    chunks = counts.shape[0]
    weights = counts.copy()
    lengths = np.asarray(weights.sum(axis=1)).ravel()
    average = float(lengths.mean()) if chunks and lengths.mean() > 0 else 1.0
    documents = np.bincount(weights.indices, minlength=weights.shape[1])
    idf = np.log(1.0 + (chunks - documents + 0.5) / (documents + 0.5))
    tf = weights.data
    norm = np.repeat(BM25_K1 * (1 - BM25_B + BM25_B * lengths / average), np.diff(weights.indptr))
    weights.data = idf[weights.indices] * tf * (BM25_K1 + 1) / (tf + norm)
    return weights.tocsc()
