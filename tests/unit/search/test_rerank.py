"""Sentences of a retrieved page, and the rerank's ordering: pure functions, no model."""

import numpy as np

from knowledge.index.passages import passages
from knowledge.index.sentences import decode_vectors, encode_vectors, sentences
from knowledge.models import Source
from knowledge.search.rerank import reorder

PAGE = (
    "Billing › Refunds\n\n"
    "Yearly plans are refunded within 14 days. Monthly plans are not refunded.\n\n"
    "- Ask **support** for a refund\n"
    "- Refunds go to the [card](https://pay.example) you paid with\n\n"
    "| Plan | Refund |\n| --- | --- |\n| Yearly | 14 days |\n\n"
    "Billing › Invoices\n\n"
    "Invoices are emailed each month."
)


def page(doc_id: str, score: float, sentence: float | None, text: str = PAGE) -> Source:
    return Source(
        doc_id=doc_id,
        title="Billing",
        url=f"https://h/{doc_id}",
        text=text,
        score=score,
        sentence_similarity=sentence,
    )


def test_a_pages_passages_keep_their_heading_and_split_list_items_and_rows():
    found = passages(PAGE, "Billing")
    assert [p.heading for p in found] == ["Billing › Refunds", "Billing › Invoices"]
    assert found[0].sentences == [
        "Yearly plans are refunded within 14 days.",
        "Monthly plans are not refunded.",
        "- Ask support for a refund",
        "- Refunds go to the card you paid with",
        "Plan · Refund",
        "Yearly · 14 days",
    ]


def test_sentences_are_embedded_with_their_heading_trail():
    assert sentences(PAGE, "Billing")[0] == (
        "Billing › Refunds: Yearly plans are refunded within 14 days."
    )
    assert sentences(PAGE, "Billing")[-1] == "Billing › Invoices: Invoices are emailed each month."


def test_stored_sentence_vectors_keep_their_cosines_and_refuse_a_wrong_count():
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    blob = encode_vectors(vectors)
    assert len(blob) < vectors.nbytes / 2  # int8, not float32
    decoded = decode_vectors(blob, 3, 384)
    assert decoded is not None and decoded.shape == (3, 384)
    assert np.max(np.abs(decoded @ vectors[0] - vectors @ vectors[0])) < 0.02
    assert decode_vectors(blob, 4, 384) is None  # the chunk's sentences changed: embed them again
    assert decode_vectors(blob, 3, 256) is None  # another embedding model
    assert decode_vectors("not base64!", 1, 384) is None


def test_a_page_whose_sentence_says_it_overtakes_a_page_about_the_topic():
    about = page("about", 0.62, 0.48)
    says = page("says", 0.58, 0.71)
    assert [s.doc_id for s in reorder([about, says], weight=1.0)] == ["says", "about"]
    assert [s.doc_id for s in reorder([about, says], weight=0.0)] == ["about", "says"]
    reranked = reorder([about, says], weight=1.0)
    assert reranked[0].score == 0.58 + 0.71
