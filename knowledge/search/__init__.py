"""A question in, ranked citable pages out: dense and BM25 hits fused, then reranked by each
page's best sentence, over the owner's in-memory chunk table; `base.KnowledgeBase` opens it all.
Imports `knowledge.index` and the shared modules, never answers, records or tuning."""
