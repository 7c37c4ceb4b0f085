"""Rank pages from dense and BM25 chunk hits: pure functions, no store.

A page is ranked by its best chunk in each list; the two ranks are fused with weighted
reciprocal-rank fusion. Plain (equal-weight) RRF lets a loose keyword match outvote a strong
semantic one; the dense weight keeps meaning first and lets BM25 break ties and rescue exact terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RRF_K = 60


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


def fuse_pages(
    dense: Sequence[ChunkHit], sparse: Sequence[ChunkHit], *, dense_weight: float, k: int = RRF_K
) -> list[PageRank]:
    """Weighted RRF over pages. The representative chunk is the best-fused chunk of the page."""
    sparse_weight = 1.0 - dense_weight
    page_scores: dict[str, float] = {}
    for weight, hits in ((dense_weight, dense), (sparse_weight, sparse)):
        for doc_id, rank in page_order(hits).items():
            page_scores[doc_id] = page_scores.get(doc_id, 0.0) + weight / (k + rank)
    chunk_scores: dict[str, float] = {}
    chunk_page: dict[str, str] = {}
    for weight, hits in ((dense_weight, dense), (sparse_weight, sparse)):
        for rank, hit in enumerate(hits, start=1):
            chunk_scores[hit.chunk_id] = chunk_scores.get(hit.chunk_id, 0.0) + weight / (k + rank)
            chunk_page[hit.chunk_id] = hit.doc_id
    best: dict[str, str] = {}
    for chunk_id in sorted(chunk_scores, key=lambda c: -chunk_scores[c]):
        best.setdefault(chunk_page[chunk_id], chunk_id)
    ranked = sorted(page_scores.items(), key=lambda item: (-item[1], item[0]))
    return [PageRank(doc_id, score, best[doc_id]) for doc_id, score in ranked]


def single_list_pages(hits: Sequence[ChunkHit]) -> list[PageRank]:
    """Pages ranked by their best chunk in one list, keeping that chunk's own score."""
    seen: dict[str, PageRank] = {}
    for hit in hits:
        seen.setdefault(hit.doc_id, PageRank(hit.doc_id, hit.score, hit.chunk_id))
    return list(seen.values())
