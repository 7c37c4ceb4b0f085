"""Rank pages from dense and BM25 chunk hits: pure functions, no store.

A page is ranked by its best chunk in each list. Hybrid fusion adds to the page's best cosine
similarity a bounded bonus for its BM25 score, `bm25_weight × (score / best score of the query)`.
BM25 can therefore move a page by at most `bm25_weight` in cosine terms: a page the dense search
puts first by a clear margin stays first, and BM25 breaks near-ties and rescues exact terms
(error codes, setting names) that the embedding reads loosely. Rank fusion (RRF) had neither
property: any page both searches found outranked a page only the dense search found, however
strong its similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ChunkHit:
    """One chunk returned by one search, in that search's order."""

    chunk_id: str
    doc_id: str
    score: float


@dataclass(frozen=True)
class PageRank:
    """A page, its fused score and the chunk that represents it."""

    doc_id: str
    score: float
    best_chunk: str


def page_order(hits: Sequence[ChunkHit]) -> dict[str, int]:
    """1-based rank of each page by its first (best) chunk in a ranked hit list."""
    ranks: dict[str, int] = {}
    for hit in hits:
        ranks.setdefault(hit.doc_id, len(ranks) + 1)
    return ranks


def relative_scores(hits: Sequence[ChunkHit]) -> dict[str, float]:
    """Each chunk's score as a share of the list's best (first) one, in [0, 1].

    The ratio reads the same whether the engine reports BM25 scores as positive numbers or negated
    (Milvus Lite negates them), and it makes a query's scores comparable with its cosines.
    """
    if not hits or hits[0].score == 0:
        return {}
    best = hits[0].score
    return {hit.chunk_id: max(0.0, min(1.0, hit.score / best)) for hit in hits}


def fuse_pages(
    dense: Sequence[ChunkHit], sparse: Sequence[ChunkHit], *, bm25_weight: float
) -> list[PageRank]:
    """Pages by their best cosine plus the bounded bonus of their best BM25 chunk.

    A page only BM25 found gets the lowest cosine of the dense list. The page is represented by
    its chunk with the best fused score, so the quote and the link come from one place.
    """
    cosine = {hit.chunk_id: hit.score for hit in dense}
    floor = min(cosine.values(), default=0.0)
    bonus = relative_scores(sparse)
    page_of = {hit.chunk_id: hit.doc_id for hit in (*dense, *sparse)}
    page_cosine: dict[str, float] = {}
    page_bonus: dict[str, float] = {}
    for chunk, doc_id in page_of.items():
        page_cosine[doc_id] = max(page_cosine.get(doc_id, floor), cosine.get(chunk, floor))
        page_bonus[doc_id] = max(page_bonus.get(doc_id, 0.0), bonus.get(chunk, 0.0))
    chunk_score = {
        chunk: cosine.get(chunk, floor) + bm25_weight * bonus.get(chunk, 0.0) for chunk in page_of
    }
    best: dict[str, str] = {}
    for chunk in sorted(chunk_score, key=lambda c: (-chunk_score[c], c)):
        best.setdefault(page_of[chunk], chunk)
    scores = {doc: page_cosine[doc] + bm25_weight * page_bonus[doc] for doc in page_cosine}
    ranked = sorted(scores, key=lambda doc: (-scores[doc], doc))
    return [PageRank(doc, scores[doc], best[doc]) for doc in ranked]


def single_list_pages(hits: Sequence[ChunkHit]) -> list[PageRank]:
    """Pages ranked by their best chunk in one list, keeping that chunk's own score."""
    seen: dict[str, PageRank] = {}
    for hit in hits:
        seen.setdefault(hit.doc_id, PageRank(hit.doc_id, hit.score, hit.chunk_id))
    return list(seen.values())
