"""Retrieval: a question in, ranked citable pages out.

`hybrid` (default) runs Milvus's dense search and its built-in BM25 search, fuses them per page
(see `fusion`) and reranks the first pages by their best sentence (see `rerank`); `dense` is the
embedding alone; `rrf` is Milvus's own hybrid search with plain RRF, kept for comparison in
`supportbot eval`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from llama_index.vector_stores.milvus import MilvusVectorStore

from knowledge.fusion import ChunkHit, PageRank, fuse_pages, single_list_pages
from knowledge.models import Source
from knowledge.rerank import RERANK_DEPTH, SENTENCE_VECTORS, SentenceReranker
from knowledge.settings import SearchMode
from knowledge.store import stored_fields

#: The embedding model reads ~256 tokens; BM25 gains nothing from pages of text either.
MAX_QUERY_CHARS = 2000
_CANDIDATES_PER_RESULT = 3
_MIN_CANDIDATES = 30


class EmptyQuestionError(ValueError):
    """The question has no words to search for."""


def clean_question(question: str) -> str:
    """Collapse whitespace and cap the length; refuse an empty question."""
    text = " ".join(question.split())
    if not text:
        raise EmptyQuestionError(
            "The question is empty: ask something, e.g. 'how do I reset my password?'"
        )
    return text[:MAX_QUERY_CHARS]


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
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")

    def search(
        self,
        question: str,
        *,
        top_k: int,
        mode: SearchMode = "hybrid",
        collections: Sequence[str] | None = None,
    ) -> list[Source]:
        text = clean_question(question)
        filters = _collection_filter(collections)
        width = max(top_k * _CANDIDATES_PER_RESULT, _MIN_CANDIDATES)
        # BM25 needs no embedding: it runs while the question is embedded (both release the GIL).
        bm25 = None
        if mode == "hybrid":
            bm25 = self._pool.submit(
                self._query, VectorStoreQueryMode.TEXT_SEARCH, text, None, width, filters
            )
        vector = self.embed.get_query_embedding(text)
        dense = self._query(VectorStoreQueryMode.DEFAULT, text, vector, width, filters)
        chunks = {hit.chunk_id: node for hit, node in dense}
        dense_hits = [hit for hit, _ in dense]
        if mode == "dense":
            pages = single_list_pages(dense_hits)
        else:
            if bm25 is not None:
                other = bm25.result()
            else:
                other = self._query(VectorStoreQueryMode.HYBRID, text, vector, width, filters)
            chunks.update((hit.chunk_id, node) for hit, node in other)
            other_hits = [hit for hit, _ in other]
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
        reranked = [ids for _, ids in pages_chunks[:RERANK_DEPTH]]
        vectors = stored_fields(self.store, [c for ids in reranked for c in ids], SENTENCE_VECTORS)
        pages_texts = [
            (source, [(chunks[c].get_content(MetadataMode.NONE), vectors.get(c)) for c in ids])
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
    ) -> list[tuple[ChunkHit, BaseNode]]:
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
        return [
            (ChunkHit(str(chunk_id), str(node.metadata.get("doc_id", chunk_id)), score), node)
            for chunk_id, node, score in rows
        ]


def _collection_filter(collections: Sequence[str] | None) -> MetadataFilters | None:
    if not collections:
        return None
    return MetadataFilters(
        filters=[
            MetadataFilter(key="collection", value=list(collections), operator=FilterOperator.IN)
        ]
    )


def _source(nodes: list[BaseNode], page: PageRank, similarity: float | None) -> Source:
    """The page as its best chunk (whose section the url points at), then its next best."""
    meta = nodes[0].metadata
    return Source(
        doc_id=page.doc_id,
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        text="\n\n".join(node.get_content(MetadataMode.NONE) for node in nodes),
        score=page.score,
        similarity=similarity,
        section=str(meta.get("section", "")),
        collection=str(meta.get("collection", "")),
        path=str(meta.get("path", "")),
    )
