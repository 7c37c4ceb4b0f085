"""The knowledge base for real: Milvus Lite, the bundled MiniLM model, the LlamaIndex pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.search.base import KnowledgeBase
from knowledge.search.retrieve import EmptyQuestionError


@pytest.fixture
def kb(sample_kb: KnowledgeBase) -> KnowledgeBase:
    return sample_kb


def test_search_finds_the_article_and_the_section_that_answers(kb):
    top = kb.search("how do I verify the webhook signature")[0]
    assert top.title == "Webhooks"
    assert top.url == "https://help.orbit.example/api/webhooks#verify-the-signature"
    assert top.section == "Verify the signature"
    assert "HMAC-SHA256" in top.text
    assert top.similarity is not None and 0 < top.similarity <= 1


def test_near_duplicate_pages_are_told_apart(kb):
    assert kb.search("I'm logged in, how do I pick a new password?")[0].title == (
        "Change your password"
    )
    assert kb.search("how long is the link to reset a forgotten password valid")[0].title == (
        "Reset your password"
    )


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("can we keep our data in the EU", "Where your data is stored"),  # HTML page
        ("do you have a SOC 2 report", "Security overview"),  # PDF
        ("how much disk space does the desktop app need", "System requirements"),  # plain text
    ],
)
def test_html_pdf_and_text_pages_are_searchable(kb, question, title):
    assert kb.search(question)[0].title == title


def test_collections_limit_what_a_search_may_draw_on(kb):
    assert kb.search("how much does the team plan cost per seat")[0].collection == "billing"
    limited = kb.search("how much does the team plan cost per seat", collections=["api"])
    assert limited and {s.collection for s in limited} == {"api"}


def test_dense_mode_and_top_k(kb):
    sources = kb.search("what happens when I hit the API rate limit", mode="dense", top_k=3)
    assert len(sources) == 3
    assert sources[0].title == "API rate limits"
    assert [s.score for s in sources] == sorted((s.score for s in sources), reverse=True)


def test_hybrid_reranks_the_first_pages_by_their_best_sentence(kb):
    from knowledge.search.rerank import RERANK_DEPTH

    sources = kb.search("how long is the link to reset a forgotten password valid", top_k=8)
    assert sources[0].title == "Reset your password"
    reranked = sources[:RERANK_DEPTH]
    assert all(s.sentence_similarity is not None for s in reranked)
    assert all(s.sentence_similarity is None for s in sources[RERANK_DEPTH:])
    assert [s.score for s in reranked] == sorted((s.score for s in reranked), reverse=True)
    again = kb.search("how long is the link to reset a forgotten password valid", top_k=8)
    assert again == sources  # the cached sentence vectors give the same ranking
    dense = kb.search("how long is the link to reset a forgotten password valid", mode="dense")
    assert all(s.sentence_similarity is None for s in dense)


def test_each_chunk_keeps_its_sentence_vectors_and_they_agree_with_a_fresh_embedding(
    settings, small_docs
):
    from knowledge.index.sentences import SENTENCE_VECTORS, decode_vectors, sentences
    from knowledge.search.rerank import SentenceReranker

    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        rows = kb.store.client.query(
            kb.store.collection_name, filter="", output_fields=["text", "title", SENTENCE_VECTORS]
        )
        assert len(rows) == 3
        question = kb.embed.get_query_embedding("where do visitors park?")
        reranker = SentenceReranker(kb.embed, weight=1.0)
        for row in rows:
            said = sentences(row["text"], row["title"])
            assert decode_vectors(row[SENTENCE_VECTORS], len(said), len(question)) is not None
            assert SENTENCE_VECTORS not in row["text"]
            source = kb.search(row["title"], top_k=1)[0]
            stored, fresh = (
                reranker.rerank(question, [(source, [(row["text"], blob)])])[0]
                for blob in (row[SENTENCE_VECTORS], None)  # None: an index from before them
            )
            assert stored.sentence_similarity is not None
            assert fresh.sentence_similarity is not None
            assert abs(stored.sentence_similarity - fresh.sentence_similarity) < 0.02
    finally:
        kb.close()


def test_the_vocabulary_follows_the_ingested_docs(settings, small_docs):
    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        assert not kb.vocabulary().known("kindl")
        (small_docs / "kindle.md").write_text("# Kindle\nSend a note to your Kindle from the menu.")
        kb.ingest([small_docs])
        assert kb.vocabulary().known("kindl")
    finally:
        kb.close()


SAMPLE_QUESTIONS = [
    "how do I verify the webhook signature",
    "I'm logged in, how do I pick a new password?",
    "how much does the team plan cost per seat",
    "what happens when I hit the API rate limit",
    "can we keep our data in the EU",
]


def test_the_owner_searches_the_chunks_it_holds_in_memory_as_milvus_would(kb):
    from llama_index.core.vector_stores.types import VectorStoreQuery

    table = kb.retriever.table
    stored = kb.store.client.query(kb.store.collection_name, filter="", output_fields=["id"])
    assert table is not None and len(table) == len(stored)
    for question in SAMPLE_QUESTIONS:
        vector = kb.embed.get_query_embedding(question)
        held = [hit.chunk_id for hit, _ in table.dense(vector, 10)]
        exact = kb.store.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=10))
        assert held == exact.ids  # both are exact inner-product searches
    in_memory = [kb.search(q)[0].title for q in SAMPLE_QUESTIONS]
    kb.retriever.table = None  # what a process without the Lite file (a Milvus server) runs
    try:
        assert [kb.search(q)[0].title for q in SAMPLE_QUESTIONS] == in_memory
    finally:
        kb.retriever.table = table


def test_a_search_of_an_empty_index_finds_nothing(settings):
    kb = KnowledgeBase(settings)
    try:
        assert kb.search("how do I reset my password") == []
    finally:
        kb.close()


def test_empty_and_huge_questions(kb):
    with pytest.raises(EmptyQuestionError):
        kb.search("  \n\t ")
    huge = "how do webhooks retry? " + "padding " * 6000
    assert kb.search(huge)[0].title == "Webhooks"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def small_docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    write(docs / "a.md", "# Parking\nVisitors park in the blue garage on level 2.")
    write(docs / "b.md", "# Lunch\nThe canteen serves lunch from noon until 2 pm.")
    write(docs / "c.md", "# Wifi\nThe guest wifi password is printed at reception.")
    return docs


def titles(kb: KnowledgeBase, question: str) -> list[str]:
    return [s.title for s in kb.search(question, top_k=3)]


def test_reingest_embeds_only_changed_files_and_drops_deleted_ones(settings, small_docs):
    kb = KnowledgeBase(settings)
    try:
        first = kb.ingest([small_docs])
        assert (first.added, first.chunks) == (3, 3)
        write(small_docs / "a.md", "# Parking\nVisitors now park in the red garage on level 4.")
        (small_docs / "c.md").unlink()
        second = kb.ingest([small_docs])
        assert (second.added, second.updated, second.unchanged, second.deleted) == (0, 1, 1, 1)
        assert second.chunks == 1  # only the edited file was chunked and embedded again
        parking = [s for s in kb.search("where do visitors park", top_k=5) if s.title == "Parking"]
        assert len(parking) == 1 and "red garage on level 4" in parking[0].text
        assert "Wifi" not in titles(kb, "guest wifi password")
        third = kb.ingest([small_docs])
        assert (third.unchanged, third.chunks) == (2, 0)
    finally:
        kb.close()


def test_a_file_that_breaks_keeps_its_previous_version(settings, small_docs):
    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        (small_docs / "b.md").write_bytes(b"\x00\x01 corrupted")
        report = kb.ingest([small_docs])
        assert [Path(p.path).name for p in report.problems] == ["b.md"]
        assert report.deleted == 0
        assert titles(kb, "when is lunch served")[0] == "Lunch"
    finally:
        kb.close()


def test_a_failure_while_embedding_keeps_the_previous_version(settings, small_docs, monkeypatch):
    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        write(small_docs / "a.md", "# Parking\nEXPLODE: the garage moved.")
        write(small_docs / "b.md", "# Lunch\nThe canteen now serves lunch from 11 am.")
        real = type(kb.embed)._get_text_embeddings

        def failing(self, texts):
            if any("EXPLODE" in t for t in texts):
                raise RuntimeError("embedding backend fell over")
            return real(self, texts)

        monkeypatch.setattr(type(kb.embed), "_get_text_embeddings", failing)
        report = kb.ingest([small_docs])
        assert [(p.path, p.reason) for p in report.problems] == [
            ("a.md", "failed to embed: embedding backend fell over")
        ]
        assert report.updated == 1  # b.md went through although it shared a batch with a.md
        monkeypatch.undo()
        parking = kb.search("where do visitors park", top_k=1)[0]
        assert "blue garage on level 2" in parking.text  # the old version, whole
        assert "11 am" in kb.search("when is lunch served", top_k=1)[0].text
        assert kb.ingest([small_docs]).updated == 1  # the record still says a.md needs work
    finally:
        kb.close()


def test_after_an_ingest_the_chunks_in_memory_are_those_a_full_read_finds(
    settings, small_docs, monkeypatch
):
    """Only the changed pages are taken out and put back in; the result is the store's."""
    import numpy as np

    from knowledge.search.chunk_table import ChunkTable

    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])  # into an empty index: the table starts from nothing
        first = ChunkTable.read(kb.store, settings.bm25_analyzer)
        assert sorted(c.chunk_id for c in kb.retriever.table.chunks) == sorted(
            c.chunk_id for c in first.chunks)  # fmt: skip
        write(small_docs / "a.md", "# Parking\nVisitors now park in the red garage on level 4.")
        (small_docs / "c.md").unlink()
        write(small_docs / "d.md", "# Badges\nVisitors get a paper badge at the front desk.")
        reads = []
        real_read = ChunkTable.read
        monkeypatch.setattr(ChunkTable, "read", lambda *a: reads.append(a) or real_read(*a))
        kb.ingest([small_docs])
        assert reads == []  # updated in memory, not read again
        monkeypatch.undo()
        held = kb.retriever.table
        fresh = ChunkTable.read(kb.store, settings.bm25_analyzer)
        order = sorted(range(len(fresh)), key=lambda i: fresh.chunks[i].chunk_id)
        mine = sorted(range(len(held)), key=lambda i: held.chunks[i].chunk_id)
        assert [held.chunks[i] for i in mine] == [fresh.chunks[i] for i in order]
        assert np.allclose(held._vectors[mine], fresh._vectors[order], atol=1e-6)
        ids = [c.chunk_id for c in fresh.chunks]
        assert held.sentence_vectors(ids) == fresh.sentence_vectors(ids)
        for question in ("where do visitors park", "guest wifi password", "visitor badge"):
            vector = kb.embed.get_query_embedding(question)
            assert [h.chunk_id for h, _ in held.dense(vector, 3)] == [
                h.chunk_id for h, _ in fresh.dense(vector, 3)]  # fmt: skip
            assert [(h.chunk_id, round(h.score, 6)) for h, _ in held.bm25(question, 3)] == [
                (h.chunk_id, round(h.score, 6)) for h, _ in fresh.bm25(question, 3)]  # fmt: skip
        assert "Wifi" not in titles(kb, "guest wifi password")
        assert titles(kb, "visitor badge")[0] == "Badges"
    finally:
        kb.close()


def counting_reads(monkeypatch) -> list[object]:
    """Every full read of the store from now on."""
    from knowledge.search.chunk_table import ChunkTable

    reads: list[object] = []
    real_read = ChunkTable.read
    monkeypatch.setattr(ChunkTable, "read", lambda *a: reads.append(a) or real_read(*a))
    return reads


def test_a_restart_loads_the_saved_table_instead_of_reading_the_store(
    settings, small_docs, monkeypatch
):
    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        before = [(s.title, s.text, round(s.score, 6)) for s in kb.search("guest wifi password")]
    finally:
        kb.close()
    reads = counting_reads(monkeypatch)
    kb = KnowledgeBase(settings)
    try:
        assert reads == []
        assert [(s.title, s.text, round(s.score, 6))
                for s in kb.search("guest wifi password")] == before  # fmt: skip
        assert len(kb.retriever.table) == 3
    finally:
        kb.close()


def test_an_ingest_cut_off_half_way_leaves_no_saved_table(settings, small_docs, monkeypatch):
    """A process killed mid-ingest must not start next time from chunks the store no longer
    holds: the saved table is dropped before the first write, saved again once it is whole."""
    from knowledge.index.ingest import Ingestor
    from knowledge.index.store import row_count
    from knowledge.search import table_file

    def saved(kb: KnowledgeBase) -> object:
        stamp = table_file.stamp(row_count(kb.store), settings.docstore_path)
        return table_file.load(settings.table_path, stamp, settings.bm25_analyzer)

    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        assert saved(kb) is not None
        write(small_docs / "a.md", "# Parking\nVisitors now park in the red garage on level 4.")
        during = []
        real = Ingestor._replace

        def replace(self, embedded, docstore):
            real(self, embedded, docstore)  # the new chunks are in the store
            during.append(saved(kb))

        monkeypatch.setattr(Ingestor, "_replace", replace)
        kb.ingest([small_docs])
        assert during == [None]
        assert saved(kb) is not None
    finally:
        kb.close()


def test_a_store_changed_behind_the_saved_table_is_read_again(settings, small_docs, monkeypatch):
    """Rows written by something other than this ingest (an older supportbot, a copy of the
    file): the row count no longer matches, and the start reads the store."""
    kb = KnowledgeBase(settings)
    try:
        kb.ingest([small_docs])
        client, name = kb.store.client, kb.store.collection_name
        (row,) = client.query(name, filter="", output_fields=["*"], limit=1)
        copy = {k: v for k, v in row.items() if k != "sparse_embedding"}  # Milvus derives it
        client.insert(name, [copy | {"id": "copied-1", "doc_id": "copied.md"}])
        client.flush(name)
    finally:
        kb.close()
    reads = counting_reads(monkeypatch)
    kb = KnowledgeBase(settings)
    try:
        assert len(reads) == 1
        assert len(kb.retriever.table) == 4
    finally:
        kb.close()
