"""Chunks: sized to the embedding window, titled with their heading path, linked to their anchor."""

from llama_index.core import Document

from knowledge.index.chunking import SectionChunker, node_id


def words(text: str) -> list[str]:
    return text.split()


def chunk(text: str, size: int = 64) -> list:
    doc = Document(
        id_="docs/a.md",
        text=text,
        metadata={"title": "Reset your password", "url": "https://h/reset"},
    )
    return SectionChunker(words, chunk_size=size, chunk_overlap=8)([doc])


def test_sections_carry_title_heading_path_and_anchor():
    text = "# Reset your password\nIntro.\n## Request a reset link\n### By email\nOpen the email."
    chunks = chunk(text)
    assert [c.text for c in chunks] == [
        "Reset your password\n\nIntro.",
        "Reset your password › Request a reset link › By email\n\nOpen the email.",
    ]
    assert chunks[0].metadata["url"] == "https://h/reset"  # the title section is the page itself
    assert chunks[1].metadata["url"] == "https://h/reset#by-email"
    assert chunks[1].metadata["section"] == "Request a reset link › By email"
    assert all(c.ref_doc_id == "docs/a.md" for c in chunks)


def test_long_sections_are_split_within_the_window_prefix_included():
    body = " ".join(f"Sentence number {i} is here." for i in range(200))
    chunks = chunk(f"## Limits\n{body}", size=64)
    assert len(chunks) > 5
    assert all(len(words(c.text)) <= 64 - 2 for c in chunks)  # [CLS] and [SEP] need room too
    assert all(c.text.startswith("Reset your password › Limits\n\n") for c in chunks)


def test_chunk_ids_are_stable_per_version_and_embed_text_is_the_chunk_alone():
    first, again = chunk("Text."), chunk("Text.")
    assert (
        first[0].node_id
        == again[0].node_id
        == node_id("docs/a.md", first[0].metadata["doc_hash"], 0)
    )
    assert node_id("docs/a.md", "other-version", 0) != first[0].node_id
    assert first[0].get_content(metadata_mode="embed") == first[0].text
