"""Retrieval: a question in, ranked citable pages out.

`hybrid` (default) runs Milvus's dense search and its built-in BM25 search and fuses them per page
(see `fusion`); `dense` is the embedding alone; `rrf` is Milvus's own hybrid search with plain
RRF, kept for comparison in `supportbot eval`.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
from llama_index.vector_stores.milvus import MilvusVectorStore

from knowledge.fusion import ChunkHit, PageRank, fuse_pages, single_list_pages
from knowledge.models import Source
from knowledge.settings import SearchMode

#: The embedding model reads ~256 tokens; BM25 gains nothing from pages of text either.
MAX_QUERY_CHARS = 2000
_CANDIDATES_PER_RESULT = 6
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

    def __init__(self, embed: HuggingFaceEmbedding, store: MilvusVectorStore, dense_weight: float):
        self.embed = embed
        self.store = store
        self.dense_weight = dense_weight

    def search(
        self,
        question: str,
        *,
        top_k: int,
        mode: SearchMode = "hybrid",
        collections: Sequence[str] | None = None,
    ) -> list[Source]:
        text = clean_question(question)
        vector = self.embed.get_query_embedding(text)
        filters = _collection_filter(collections)
        width = max(top_k * _CANDIDATES_PER_RESULT, _MIN_CANDIDATES)
        dense = self._query(VectorStoreQueryMode.DEFAULT, text, vector, width, filters)
        chunks = {node.node_id: node for node, _ in dense}
        if mode == "dense":
            pages = single_list_pages(_hits(dense))
        else:
            other_mode = (
                VectorStoreQueryMode.HYBRID if mode == "rrf" else VectorStoreQueryMode.TEXT_SEARCH
            )
            other = self._query(other_mode, text, vector, width, filters)
            chunks.update((node.node_id, node) for node, _ in other)
            if mode == "rrf":
                pages = single_list_pages(_hits(other))
            else:
                pages = fuse_pages(_hits(dense), _hits(other), dense_weight=self.dense_weight)
        similarity: dict[str, float] = {}
        for hit in _hits(dense):  # best first, so the first seen is the page's best
            similarity.setdefault(hit.doc_id, hit.score)
        return [_source(chunks[p.best_chunk], p, similarity.get(p.doc_id)) for p in pages[:top_k]]

    def _query(
        self,
        mode: VectorStoreQueryMode,
        text: str,
        vector: list[float],
        width: int,
        filters: MetadataFilters | None,
    ) -> list[tuple[BaseNode, float]]:
        result = self.store.query(
            VectorStoreQuery(
                query_embedding=vector,
                query_str=text,
                similarity_top_k=width,
                mode=mode,
                filters=filters,
            )
        )
        return list(zip(result.nodes or [], result.similarities or [], strict=False))


def _hits(results: Sequence[tuple[BaseNode, float]]) -> list[ChunkHit]:
    return [
        ChunkHit(node.node_id, node.ref_doc_id or node.node_id, score) for node, score in results
    ]


def _collection_filter(collections: Sequence[str] | None) -> MetadataFilters | None:
    if not collections:
        return None
    return MetadataFilters(
        filters=[
            MetadataFilter(key="collection", value=list(collections), operator=FilterOperator.IN)
        ]
    )


def _source(node: BaseNode, page: PageRank, similarity: float | None) -> Source:
    meta = node.metadata
    return Source(
        doc_id=page.doc_id,
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        text=node.get_content(),
        score=page.score,
        similarity=similarity,
        section=str(meta.get("section", "")),
        collection=str(meta.get("collection", "")),
        path=str(meta.get("path", "")),
    )
