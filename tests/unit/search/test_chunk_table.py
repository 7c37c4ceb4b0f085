"""The in-memory chunk table: dense and BM25 search over arrays, no server."""

from __future__ import annotations

import math

import numpy as np
import pytest

from knowledge.index.sentences import encode_vectors
from knowledge.search.chunk_table import BM25_B, BM25_K1, Chunk, ChunkTable


def unit(*values: float) -> list[float]:
    vector = np.array(values, dtype=np.float32)
    return list(vector / np.linalg.norm(vector))


def table(texts_and_vectors, *, analyzer: str = "english", collections=None) -> ChunkTable:
    chunks = [
        Chunk(f"c{i}", f"page{i}", text, collection=(collections or {}).get(i, ""))
        for i, (text, _) in enumerate(texts_and_vectors)
    ]
    vectors = np.array([vector for _, vector in texts_and_vectors], dtype=np.float32)
    return ChunkTable(chunks, vectors, analyzer=analyzer)


@pytest.fixture
def docs() -> ChunkTable:
    return table(
        [
            ("Refunds are paid within five days of a cancellation.", unit(1, 0, 0)),
            ("Invite people to your workspace from the members page.", unit(0, 1, 0)),
            ("The workspace owner can cancel the plan at any time.", unit(0.6, 0.8, 0)),
            ("Keyboard shortcuts for notes, starring and search.", unit(0, 0, 1)),
        ],
        collections={0: "billing", 2: "billing", 1: "team", 3: "app"},
    )


def test_dense_returns_the_highest_inner_products_best_first(docs):
    hits = docs.dense(unit(0.9, 0.1, 0), width=3)
    assert [hit.chunk_id for hit, _ in hits] == ["c0", "c2", "c1"]
    scores = [hit.score for hit, _ in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float(np.dot(unit(0.9, 0.1, 0), unit(1, 0, 0))), abs=1e-6)
    assert hits[0][1].text.startswith("Refunds") and hits[0][0].doc_id == "page0"


def test_a_width_beyond_the_table_returns_every_chunk_once(docs):
    assert sorted(hit.chunk_id for hit, _ in docs.dense(unit(1, 1, 1), width=50)) == [
        "c0",
        "c1",
        "c2",
        "c3",
    ]


def test_collections_limit_both_searches(docs):
    dense = docs.dense(unit(0, 1, 0), width=4, collections=["billing"])
    assert {hit.chunk_id for hit, _ in dense} == {"c0", "c2"}
    assert [hit.chunk_id for hit, _ in docs.bm25("workspace", 4, collections=["team"])] == ["c1"]
    assert docs.dense(unit(0, 1, 0), width=4, collections=["no such collection"]) == []


def test_bm25_finds_other_forms_of_a_word_and_ignores_chunks_without_it(docs):
    assert [hit.chunk_id for hit, _ in docs.bm25("refund", 4)] == ["c0"]
    assert [hit.chunk_id for hit, _ in docs.bm25("how do I star a note?", 4)] == ["c3"]
    cancelled = [hit.chunk_id for hit, _ in docs.bm25("cancelled", 4)]
    assert sorted(cancelled) == ["c0", "c2"]


def test_the_standard_analyzer_matches_whole_words_only():
    plain = table([("Starring a note pins it.", unit(1, 0))], analyzer="standard")
    assert plain.bm25("star", 5) == []
    assert [hit.chunk_id for hit, _ in plain.bm25("Starring", 5)] == ["c0"]


def test_a_question_of_stop_words_or_unknown_words_finds_nothing(docs):
    assert docs.bm25("what is the", 4) == []
    assert docs.bm25("kubernetes", 4) == []
    assert docs.bm25("", 4) == []


def test_bm25_prefers_the_rare_word_and_the_shorter_chunk():
    docs = table(
        [
            ("export export notes", unit(1, 0)),
            ("export notes to pdf", unit(1, 0)),
            ("notes notes notes", unit(1, 0)),
            ("export notes to pdf and more and more words about exporting notes", unit(1, 0)),
        ]
    )
    ranked = [hit.chunk_id for hit, _ in docs.bm25("pdf notes", 4)]
    assert ranked[:2] == ["c1", "c3"]  # "pdf" (in 2 of 4 chunks) outweighs "notes" (in all 4)


def test_bm25_scores_follow_the_formula():
    docs = table([("alpha beta", unit(1, 0)), ("beta gamma gamma delta", unit(0, 1))])
    (hit, _), *_ = docs.bm25("gamma", 2)
    average = (2 + 4) / 2
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    expected = idf * 2 * (BM25_K1 + 1) / (2 + BM25_K1 * (1 - BM25_B + BM25_B * 4 / average))
    assert hit.chunk_id == "c1"
    assert hit.score == pytest.approx(expected)


def test_an_empty_table_finds_nothing():
    empty = ChunkTable([], np.zeros((0, 3), dtype=np.float32), analyzer="english")
    assert len(empty) == 0
    assert empty.dense(unit(1, 0, 0), width=5) == []
    assert empty.bm25("anything", 5) == []
    assert empty.sentence_vectors(["c0"]) == {}


def test_sentence_vectors_are_given_for_the_chunks_that_have_them():
    chunks = [Chunk("c0", "p", "a"), Chunk("c1", "p", "b"), Chunk("c2", "p", "c")]
    two = encode_vectors(np.array([unit(1, 0, 0), unit(0, 1, 1)]))
    damaged = encode_vectors(np.array([unit(1, 0, 0)]))[:-4]  # not whole rows of 3
    kept = ChunkTable(chunks, np.eye(3), analyzer="english",
                      sentence_vectors={"c1": two, "c2": damaged})  # fmt: skip
    assert kept.sentence_vectors(["c0", "c1", "c2", "c9"]) == {"c1": two}


def test_a_private_chunk_makes_its_collection_private_and_an_empty_scope_finds_nothing():
    chunks = [Chunk("c0", "p0", "refund codes", collection="internal", private=True),
              Chunk("c1", "p1", "refunds policy", collection="internal"),
              Chunk("c2", "p2", "refunds policy", collection="billing")]  # fmt: skip
    found = ChunkTable(chunks, np.array([unit(1, 0), unit(1, 0), unit(1, 0)]), analyzer="english")
    assert found.collections() == {"billing": False, "internal": True}
    assert found.dense(unit(1, 0), 3, []) == []
    assert [c.chunk_id for _, c in found.dense(unit(1, 0), 3, ["billing"])] == ["c2"]
