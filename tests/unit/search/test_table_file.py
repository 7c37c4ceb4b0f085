"""The saved chunk table: loaded only for the store state it was saved for, equal to the one
saved, and never a half-written one."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.index.sentences import encode_vectors
from knowledge.search import table_file
from knowledge.search.chunk_table import Chunk, ChunkTable


def unit(*values: float) -> list[float]:
    vector = np.array(values, dtype=np.float32)
    return list(vector / np.linalg.norm(vector))


@pytest.fixture
def table() -> ChunkTable:
    chunks = [
        Chunk("c0", "p0", "Billing › Refunds\nRefunds are paid within five days.", "Billing",
              "https://help.example/billing", "Refunds", "billing", "billing.md"),
        Chunk("c1", "p0", "Billing › Invoices\nInvoices are sent on the first.", "Billing",
              "https://help.example/billing", "Invoices", "billing", "billing.md"),
        Chunk("c2", "p1", "Keys › Rotate\nRotate the signing key every 90 days.", "Keys",
              collection="internal", private=True),
    ]  # fmt: skip
    vectors = np.array([unit(1, 0, 0), unit(1, 1, 0), unit(0, 0, 1)], dtype=np.float32)
    sentences = {"c0": encode_vectors(np.array([unit(1, 0, 1), unit(0, 1, 0)])),
                 "c2": encode_vectors(np.array([unit(0, 0, 1)]))}  # fmt: skip
    return ChunkTable(chunks, vectors, analyzer="english", sentence_vectors=sentences)


def test_a_loaded_table_is_the_one_saved(table, tmp_path):
    table_file.save(table, tmp_path, "3:abc")
    loaded = table_file.load(tmp_path, "3:abc", "english")
    assert loaded is not None
    assert list(loaded.chunks) == list(table.chunks)
    assert np.array_equal(loaded.vectors, table.vectors)
    ids = ["c0", "c1", "c2"]
    assert loaded.sentence_vectors(ids) == table.sentence_vectors(ids) and len(
        loaded.sentence_vectors(ids)) == 2  # fmt: skip
    assert loaded.collections() == {"billing": False, "internal": True}
    for words in ("refund", "rotating keys", "invoice on the first"):
        assert [(h.chunk_id, round(h.score, 6)) for h, _ in loaded.bm25(words, 3)] == [
            (h.chunk_id, round(h.score, 6)) for h, _ in table.bm25(words, 3)]  # fmt: skip
    grown = loaded.updated({"p1"}, [(Chunk("c3", "p2", "Keys › Revoke\nRevoke a key."),
                                     unit(0, 1, 1), "")])  # fmt: skip
    assert [c.chunk_id for c in grown.chunks] == ["c0", "c1", "c3"]
    assert grown.sentence_vectors(["c0", "c3"]) == {"c0": table.sentence_vectors(["c0"])["c0"]}


def test_another_store_state_or_analyzer_finds_no_saved_table(table, tmp_path):
    table_file.save(table, tmp_path, "3:abc")
    assert table_file.load(tmp_path, "4:abc", "english") is None
    assert table_file.load(tmp_path, "3:abd", "english") is None
    assert table_file.load(tmp_path, "3:abc", "standard") is None
    assert table_file.load(tmp_path / "nothing here", "3:abc", "english") is None


def test_the_stamp_follows_the_row_count_and_the_ingest_record(tmp_path):
    record = tmp_path / "docstore.json"
    record.write_text('{"a": 1}')
    first = table_file.stamp(3, record)
    assert table_file.stamp(3, record) == first
    assert table_file.stamp(4, record) != first
    record.write_text('{"a": 2}')
    assert table_file.stamp(3, record) != first


def test_a_forgotten_or_damaged_table_is_not_loaded(table, tmp_path, caplog):
    table_file.save(table, tmp_path, "3:abc")
    table_file.forget(tmp_path)
    assert table_file.load(tmp_path, "3:abc", "english") is None
    table_file.save(table, tmp_path, "3:abc")
    version = tmp_path / (tmp_path / "current").read_text()
    (version / "offsets.npy").write_bytes(b"not an array")
    assert table_file.load(tmp_path, "3:abc", "english") is None
    assert "can't be read" in caplog.text


def test_saving_again_leaves_one_version(table, tmp_path):
    table_file.save(table, tmp_path, "3:abc")
    table_file.save(table, tmp_path, "3:abd")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [
        (tmp_path / "current").read_text()]  # fmt: skip
    assert table_file.load(tmp_path, "3:abd", "english") is not None
