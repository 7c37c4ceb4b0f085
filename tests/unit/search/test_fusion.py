from knowledge.search.fusion import (
    ChunkHit,
    fuse_pages,
    page_order,
    relative_scores,
    single_list_pages,
)


def hits(*rows: tuple[str, str, float]) -> list[ChunkHit]:
    return [ChunkHit(chunk, doc, score) for chunk, doc, score in rows]


def test_pages_are_ranked_by_their_best_chunk():
    ranked = hits(("a1", "A", 0.9), ("b1", "B", 0.8), ("a2", "A", 0.7), ("c1", "C", 0.6))
    assert page_order(ranked) == {"A": 1, "B": 2, "C": 3}


def test_bm25_scores_are_shares_of_the_best_whatever_their_sign():
    positive = relative_scores(hits(("a", "A", 12.0), ("b", "B", 6.0)))
    negated = relative_scores(hits(("a", "A", -12.0), ("b", "B", -6.0)))
    assert positive == negated == {"a": 1.0, "b": 0.5}
    assert relative_scores([]) == {}


def test_bm25_breaks_a_near_tie():
    dense = hits(("a1", "A", 0.62), ("b1", "B", 0.60))
    sparse = hits(("b1", "B", -9.0), ("a1", "A", -2.0))
    assert [p.doc_id for p in fuse_pages(dense, sparse, bm25_weight=0.1)] == ["B", "A"]


def test_a_clear_dense_winner_stays_first_whatever_bm25_says():
    dense = hits(("a1", "A", 0.69), ("b1", "B", 0.45), ("c1", "C", 0.44))
    sparse = hits(("b1", "B", 20.0), ("c1", "C", 18.0))  # A is not among BM25's hits at all
    ranked = fuse_pages(dense, sparse, bm25_weight=0.1)
    assert [p.doc_id for p in ranked] == ["A", "B", "C"]
    assert ranked[0].score == 0.69


def test_a_page_only_bm25_found_ranks_by_the_dense_floor_plus_its_bonus():
    dense = hits(("a1", "A", 0.50), ("b1", "B", 0.30))
    sparse = hits(("x1", "X", 5.0))
    ranked = fuse_pages(dense, sparse, bm25_weight=0.1)
    assert [(p.doc_id, round(p.score, 2)) for p in ranked] == [("A", 0.5), ("X", 0.4), ("B", 0.3)]


def test_the_page_is_represented_by_its_best_fused_chunk():
    dense = hits(("a1", "A", 0.60), ("a2", "A", 0.58))
    sparse = hits(("a2", "A", 7.0))
    page = fuse_pages(dense, sparse, bm25_weight=0.1)[0]
    assert (page.doc_id, page.best_chunk) == ("A", "a2")


def test_single_list_keeps_scores_and_order():
    ranked = single_list_pages(hits(("a1", "A", 1.0), ("b1", "B", 0.9), ("a2", "A", 0.8)))
    assert [(p.doc_id, p.best_chunk, p.score) for p in ranked] == [
        ("A", "a1", 1.0),
        ("B", "b1", 0.9),
    ]
