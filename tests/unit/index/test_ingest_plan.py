from llama_index.core import Document

from knowledge.index.ingest import plan_ingest


def doc(doc_id: str, text: str) -> Document:
    return Document(id_=doc_id, text=text)


def test_new_changed_and_unchanged_are_told_apart_by_hash():
    same, edited, fresh = doc("docs/a.md", "A"), doc("docs/b.md", "B2"), doc("docs/c.md", "C")
    recorded = {
        "docs/a.md": (same.hash, "docs"),
        "docs/b.md": (doc("docs/b.md", "B1").hash, "docs"),
    }
    plan = plan_ingest(
        [same, edited, fresh], recorded, {"docs/a.md", "docs/b.md", "docs/c.md"}, ["docs"]
    )
    assert [d.id_ for d in plan.unchanged] == ["docs/a.md"]
    assert [d.id_ for d in plan.changed] == ["docs/b.md"]
    assert [d.id_ for d in plan.new] == ["docs/c.md"]
    assert plan.deleted == []


def test_only_vanished_files_of_an_ingested_folder_are_deleted():
    recorded = {
        "docs/gone.md": ("h1", "docs"),
        "docs/broken.md": ("h2", "docs"),  # still there, but failed to read this time
        "other/kept.md": ("h3", "other"),  # another folder, not ingested this run
    }
    plan = plan_ingest([], recorded, {"docs/broken.md"}, ["docs"])
    assert plan.deleted == ["docs/gone.md"]


def test_a_single_file_argument_deletes_nothing():
    plan = plan_ingest([], {"docs/a.md": ("h", "docs")}, set(), [])
    assert plan.deleted == []
