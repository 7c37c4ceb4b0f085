from knowledge.fusion import ChunkHit, fuse_pages, page_order, single_list_pages


def hits(*pairs: tuple[str, str]) -> list[ChunkHit]:
    return [ChunkHit(chunk, doc, 1.0 - i / 10) for i, (chunk, doc) in enumerate(pairs)]


def test_pages_are_ranked_by_their_best_chunk():
    assert page_order(hits(("a1", "A"), ("b1", "B"), ("a2", "A"), ("c1", "C"))) == {
        "A": 1,
        "B": 2,
        "C": 3,
    }


def test_agreement_of_both_searches_wins():
    dense = hits(("a1", "A"), ("b1", "B"), ("c1", "C"))
    sparse = hits(("d1", "D"), ("b1", "B"), ("c2", "C"))
    ranked = fuse_pages(dense, sparse, dense_weight=0.5)
    # found by both searches beats first in one search and absent from the other
    assert [p.doc_id for p in ranked] == ["B", "C", "A", "D"]


def test_dense_weight_decides_between_disagreeing_searches():
    dense = hits(("a1", "A"), ("b1", "B"))
    sparse = hits(("b2", "B"), ("a2", "A"))
    assert fuse_pages(dense, sparse, dense_weight=0.8)[0].doc_id == "A"
    assert fuse_pages(dense, sparse, dense_weight=0.2)[0].doc_id == "B"


def test_the_page_is_represented_by_its_best_fused_chunk():
    dense = hits(("a1", "A"), ("a2", "A"))
    sparse = hits(("a2", "A"))
    assert fuse_pages(dense, sparse, dense_weight=0.5)[0].best_chunk == "a2"


def test_single_list_keeps_scores_and_order():
    ranked = single_list_pages(hits(("a1", "A"), ("b1", "B"), ("a2", "A")))
    assert [(p.doc_id, p.best_chunk, p.score) for p in ranked] == [
        ("A", "a1", 1.0),
        ("B", "b1", 0.9),
    ]
