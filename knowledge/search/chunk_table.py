"""The index's chunks held in the owning process's memory, searched there.

Milvus Lite runs its engine in Python behind a gRPC server inside this process: at 10k chunks
a dense query costs about 15 ms and a BM25 query 30 ms, and its BM25 ignores the analyzer's
stemmer. The same two searches over numpy and scipy arrays take about a millisecond each. With
Milvus Lite exactly one process opens the file, and every write goes through its
`KnowledgeBase.ingest`, so a table read at open and read again after each ingest is never stale;
the Milvus file stays the record, and a Milvus server (shared by many processes) is searched
directly instead.

A table is never changed once built: a search in one thread sees one whole version, even while
another thread ingests. What every search reads (vectors, BM25 weights, chunk fields) is held in
memory; each chunk's sentence vectors, read for a search's first pages only, are one int8 matrix
that the owner maps from its saved copy on disk (`knowledge.search.table_file`), so 100k chunks
hold about 260 MB rather than 530.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llama_index.vector_stores.milvus import MilvusVectorStore
from scipy import sparse

from knowledge.index.sentences import SENTENCE_VECTORS
from knowledge.index.store import PRIVATE, RESULT_FIELDS, rows
from knowledge.search.fusion import ChunkHit
from knowledge.search.table_rows import Chunk, ChunkRows, SentenceRows
from knowledge.search.terms import bm25_tokens

__all__ = ["Chunk", "ChunkRows", "ChunkTable", "SentenceRows"]

#: Milvus's default BM25 parameters (term-frequency saturation, length normalisation).
BM25_K1 = 1.2
BM25_B = 0.75
_READ_BATCH = 2_000


class ChunkTable:
    """Every chunk's text, vector, BM25 weights and stored sentence vectors, as arrays."""

    def __init__(
        self,
        chunks: Sequence[Chunk] | ChunkRows,
        vectors: np.ndarray,
        *,
        analyzer: str,
        sentence_vectors: dict[str, str] | SentenceRows | None = None,
        counts: tuple[dict[str, int], sparse.csr_matrix] | None = None,
    ) -> None:
        self.chunks = chunks if isinstance(chunks, ChunkRows) else ChunkRows.of(chunks)
        self.analyzer = analyzer
        vectors = np.asarray(vectors, dtype=np.float32)
        self._vectors = vectors.reshape(len(self.chunks), -1) if len(self.chunks) else vectors
        ids = self.chunks.columns["chunk_id"]
        self._row = {chunk_id: i for i, chunk_id in enumerate(ids)}
        dim = self._vectors.shape[1] if len(self.chunks) else 0
        if not isinstance(sentence_vectors, SentenceRows):
            blobs = sentence_vectors or {}
            sentence_vectors = SentenceRows.of([blobs.get(c, "") for c in ids], dim)
        self.sentence_rows = sentence_vectors
        collections = self.chunks.columns["collection"]
        names = sorted(set(collections))
        self._collection_codes = {name: code for code, name in enumerate(names)}
        self._collection = np.array(
            [self._collection_codes[c] for c in collections], dtype=np.int32
        )
        self._privacy: dict[str, bool] = dict.fromkeys(names, False)
        for name, private in zip(collections, self.chunks.private, strict=True):
            self._privacy[name] |= bool(private)
        if counts is None:  # each chunk's words, analysed: what BM25 counts
            terms: dict[str, int] = {}
            tokenized = [bm25_tokens(text, analyzer) for text in self.chunks.texts()]
            counts = terms, _term_counts(tokenized, terms)
        self._terms, self._counts = counts
        self._weights = _bm25_weights(self._counts)

    @classmethod
    def read(cls, store: MilvusVectorStore, analyzer: str) -> ChunkTable:
        """Every chunk of the store's collection (a few seconds for 10k chunks)."""
        fields = [store.text_key, store.embedding_field, *RESULT_FIELDS, PRIVATE, SENTENCE_VECTORS]
        chunks: list[Chunk] = []
        vectors: list[np.ndarray] = []  # each as float32 when read: 100k lists of floats are 1 GB
        blobs: list[str] = []
        for row in rows(store, fields, batch_size=_READ_BATCH):
            chunks.append(Chunk.of(str(row["id"]), str(row.get(store.text_key) or ""), row))
            vectors.append(np.asarray(row[store.embedding_field], dtype=np.float32))
            blobs.append(str(row.get(SENTENCE_VECTORS) or ""))
        matrix = np.vstack(vectors) if vectors else np.zeros((0,), dtype=np.float32)
        dim = int(matrix.shape[-1]) if vectors else 0
        return cls(chunks, matrix, analyzer=analyzer, sentence_vectors=SentenceRows.of(blobs, dim))

    def updated(
        self, dropped: set[str], added: Sequence[tuple[Chunk, Sequence[float], str]]
    ) -> ChunkTable:
        """A new table after an ingest, without reading the store again: the chunks of the
        pages in `dropped` (changed or removed) out, the `added` ones (chunk, vector, its
        sentence vectors or "") in. Each kept chunk's words are not analysed again; the BM25
        weights are (every idf and the average length move)."""
        pages = self.chunks.columns["doc_id"]
        keep = [i for i, doc_id in enumerate(pages) if doc_id not in dropped]
        chunks = self.chunks.take(keep) + ChunkRows.of(chunk for chunk, _, _ in added)
        parts = [self._vectors[keep]] if keep else []  # an empty table has no width yet
        if added:
            parts.append(np.asarray([vector for _, vector, _ in added], dtype=np.float32))
        vectors = np.vstack(parts) if parts else np.zeros((0,), dtype=np.float32)
        dim = int(vectors.shape[-1]) if len(chunks) else 0
        new_rows = SentenceRows.of([blob for _, _, blob in added], dim)
        sentences = SentenceRows.joined(
            [*(self.sentence_rows.rows(i) for i in keep),
             *(new_rows.rows(i) for i in range(len(added)))], dim)  # fmt: skip
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
        if not len(self.chunks):
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
        """The stored sentence vectors of these chunks (see `knowledge.index.sentences`), where
        kept."""
        found = {c: self.sentence_rows.blob(self._row[c]) for c in chunk_ids if c in self._row}
        return {c: blob for c, blob in found.items() if blob}

    @property
    def vectors(self) -> np.ndarray:
        return self._vectors

    @property
    def term_counts(self) -> tuple[dict[str, int], sparse.csr_matrix]:
        """Each term's column, and how often each chunk holds each term (BM25's input)."""
        return self._terms, self._counts

    def texts(self) -> list[str]:
        return list(self.chunks.texts())

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
    weights = counts.astype(np.float32)  # float32: half the memory, scores alike to 1e-6
    lengths = np.asarray(weights.sum(axis=1)).ravel()
    average = float(lengths.mean()) if chunks and lengths.mean() > 0 else 1.0
    documents = np.bincount(weights.indices, minlength=weights.shape[1])
    idf = np.log(1.0 + (chunks - documents + 0.5) / (documents + 0.5))
    tf = weights.data
    norm = np.repeat(BM25_K1 * (1 - BM25_B + BM25_B * lengths / average), np.diff(weights.indptr))
    weights.data = (idf[weights.indices] * tf * (BM25_K1 + 1) / (tf + norm)).astype(np.float32)
    return weights.tocsc()
