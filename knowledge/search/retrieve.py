"""Retrieval: a question in, ranked citable pages out.

`hybrid` (default) runs a dense search and a BM25 search, fuses them per page (see `fusion`) and
reranks the first pages by their best sentence (see `rerank`); `dense` is the embedding alone;
`rrf` is Milvus's own hybrid search with plain RRF, kept for comparison in `supportbot eval`.
The two searches run over the chunks held in memory (`chunk_table`) when the process owns a
Milvus Lite file, else on the Milvus server.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from llama_index.vector_stores.milvus import MilvusVectorStore

from knowledge.index.sentences import SENTENCE_VECTORS
from knowledge.index.store import stored_fields
from knowledge.models import Source
from knowledge.search.chunk_table import Chunk, ChunkTable
from knowledge.search.focus import focus
from knowledge.search.fusion import ChunkHit, PageRank, fuse_pages, single_list_pages
from knowledge.search.rerank import RERANK_DEPTH, SentenceReranker
from knowledge.settings import SearchMode

_CANDIDATES_PER_RESULT = 3
_MIN_CANDIDATES = 30


class EmptyQuestionError(ValueError):
    """The question has no words to search for."""


def clean_question(question: str) -> str:
    """Collapse whitespace and, in a long message, keep its question (see `focus`); refuse an
    empty question. The embedding model reads ~256 tokens; BM25 gains nothing from pages of text
    either."""
    text = focus(question).text
    if not text:
        raise EmptyQuestionError(
            "The question is empty: ask something, e.g. 'how do I reset my password?'"
        )
    return text


class Retriever:
    """Searches one store with one loaded embedding model."""

    def __init__(
        self,
        embed: BaseEmbedding,
        store: MilvusVectorStore,
        bm25_weight: float,
        chunks_per_page: int = 1,
        sentence_weight: float = 0.0,
    ):
        self.embed = embed
        self.reranker = SentenceReranker(embed, sentence_weight)
        self.store = store
        self.bm25_weight = bm25_weight
        self.chunks_per_page = chunks_per_page
        #: The chunks in memory (Milvus Lite's owner), replaced whole after each ingest; None:
        #: search Milvus.
        self.table: ChunkTable | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")

    def search(
        self,
        question: str,
        *,
        top_k: int,
        mode: SearchMode = "hybrid",
        collections: Sequence[str] | None = None,
    ) -> list[Source]:
        """Ranked pages, from the named collections only (None: from every one)."""
        text = clean_question(question)
        if collections is not None and not collections:
            return []
        table = self.table  # one version for the whole search, whatever an ingest does meanwhile
        width = max(top_k * _CANDIDATES_PER_RESULT, _MIN_CANDIDATES)
        if table is not None and mode != "rrf":
            bm25 = table.bm25(text, width, collections) if mode == "hybrid" else None
            vector = self.embed.get_query_embedding(text)
            dense = table.dense(vector, width, collections)
        else:
            filters = _collection_filter(collections)
            # BM25 needs no embedding: it waits on the server while the question is embedded.
            other = None
            if mode == "hybrid":
                other = self._pool.submit(
                    self._query, VectorStoreQueryMode.TEXT_SEARCH, text, None, width, filters
                )
            vector = self.embed.get_query_embedding(text)
            dense = self._query(VectorStoreQueryMode.DEFAULT, text, vector, width, filters)
            if mode == "rrf":
                bm25 = self._query(VectorStoreQueryMode.HYBRID, text, vector, width, filters)
            else:
                bm25 = other.result() if other is not None else None
        chunks = {hit.chunk_id: chunk for hit, chunk in dense}
        dense_hits = [hit for hit, _ in dense]
        if mode == "dense" or bm25 is None:
            pages = single_list_pages(dense_hits)
        else:
            chunks.update((hit.chunk_id, chunk) for hit, chunk in bm25)
            other_hits = [hit for hit, _ in bm25]
            if mode == "rrf":
                pages = single_list_pages(other_hits)
            else:
                pages = fuse_pages(dense_hits, other_hits, bm25_weight=self.bm25_weight)
        similarity: dict[str, float] = {}
        by_page: dict[str, list[str]] = {}
        for hit in dense_hits:  # best first, so the first seen is the page's best
            similarity.setdefault(hit.doc_id, hit.score)
            by_page.setdefault(hit.doc_id, []).append(hit.chunk_id)
        depth = max(top_k, RERANK_DEPTH) if mode == "hybrid" else top_k
        pages_chunks = []
        for page in pages[:depth]:
            more = [c for c in by_page.get(page.doc_id, []) if c != page.best_chunk]
            ids = [page.best_chunk, *more][: self.chunks_per_page]
            pages_chunks.append(
                (_source([chunks[c] for c in ids], page, similarity.get(page.doc_id)), ids)
            )
        if mode != "hybrid" or self.reranker.weight <= 0:
            return [source for source, _ in pages_chunks][:top_k]
        reranked = [c for _, ids in pages_chunks[:RERANK_DEPTH] for c in ids]
        vectors = (
            table.sentence_vectors(reranked)
            if table is not None
            else stored_fields(self.store, reranked, SENTENCE_VECTORS)
        )
        pages_texts = [
            (source, [(chunks[c].text, vectors.get(c)) for c in ids])
            for source, ids in pages_chunks
        ]
        return self.reranker.rerank(vector, pages_texts)[:top_k]

    def _query(
        self,
        mode: VectorStoreQueryMode,
        text: str,
        vector: list[float] | None,
        width: int,
        filters: MetadataFilters | None,
    ) -> list[tuple[ChunkHit, Chunk]]:
        """One search on the Milvus server (or Lite file)."""
        result = self.store.query(
            VectorStoreQuery(
                query_embedding=vector,
                query_str=text,
                similarity_top_k=width,
                mode=mode,
                filters=filters,
            )
        )
        rows = zip(result.ids or [], result.nodes or [], result.similarities or [], strict=True)
        hits = []
        for chunk_id, node, score in rows:
            chunk = Chunk.of(str(chunk_id), node.get_content(MetadataMode.NONE), node.metadata)
            hits.append((ChunkHit(chunk.chunk_id, chunk.doc_id, score), chunk))
        return hits


def _collection_filter(collections: Sequence[str] | None) -> MetadataFilters | None:
    if collections is None:
        return None
    return MetadataFilters(
        filters=[
            MetadataFilter(key="collection", value=list(collections), operator=FilterOperator.IN)
        ]
    )


def _source(chunks: list[Chunk], page: PageRank, similarity: float | None) -> Source:
    """The page as its best chunk (whose section the url points at), then its next best."""
    best = chunks[0]
    return Source(
        doc_id=page.doc_id,
        title=best.title,
        url=best.url,
        text="\n\n".join(chunk.text for chunk in chunks),
        score=page.score,
        similarity=similarity,
        section=best.section,
        collection=best.collection,
        path=best.path,
    )
