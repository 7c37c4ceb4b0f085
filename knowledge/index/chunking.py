"""Split documents into sections by heading, then into chunks that fit the embedding window.

all-MiniLM-L6-v2 reads only its first 256 word pieces, so a chunk's size is counted with the
embedding model's own tokenizer, title and heading path included. Every chunk's text starts with
`Title › Heading › Subheading`, so dense search, BM25 and the prompt all see where it came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter
from llama_index.core.schema import (
    BaseNode,
    MetadataMode,
    NodeRelationship,
    TextNode,
    TransformComponent,
)
from pydantic import Field, PrivateAttr

from knowledge.index.markup import plain_heading, slugify

_PATH_SEP = "\u241e"  # a character no heading contains, so heading text may hold "/"
_SPECIAL_TOKENS = 2  # [CLS] and [SEP] share the window with the text
CHUNK_KEYS = ("title", "url", "section", "collection", "path", "scope", "doc_hash", "private")


def node_id(doc_id: str, doc_hash: str, index: int) -> str:
    """Deterministic chunk id: a re-run of the same document version upserts, never duplicates."""
    digest = hashlib.blake2b(f"{doc_id}\0{doc_hash}".encode(), digest_size=12).hexdigest()
    return f"{digest}-{index}"


def section_url(url: str, heading: str, is_title: bool) -> str:
    """Link to the section's anchor, unless the section is the page itself (or it has no link)."""
    if is_title or not heading or not url or "#" in url:
        return url
    return f"{url}#{slugify(heading)}"


class SectionChunker(TransformComponent):
    """Markdown-aware, then sentence-aware chunking; one `TextNode` per chunk."""

    chunk_size: int = Field(256)
    chunk_overlap: int = Field(32)
    _tokenize: Callable[[str], Sequence[Any]] = PrivateAttr()

    def __init__(self, tokenize: Callable[[str], Sequence[Any]], **data: Any) -> None:
        super().__init__(**data)
        self._tokenize = tokenize

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        splitter = SentenceSplitter(
            chunk_size=self.chunk_size - _SPECIAL_TOKENS,
            chunk_overlap=self.chunk_overlap,
            tokenizer=self._tokenize,
        )
        sections = MarkdownNodeParser(header_path_separator=_PATH_SEP)
        chunks: list[BaseNode] = []
        for doc in nodes:
            title = str(doc.metadata.get("title", ""))
            count = 0
            for section in sections.get_nodes_from_node(doc):
                heading, body = _split_heading(section.get_content(MetadataMode.NONE))
                if not body:
                    continue
                parents = [
                    p for p in str(section.metadata.get("header_path", "")).split(_PATH_SEP) if p
                ]
                trail = [plain_heading(h) for h in [*parents, heading] if h]
                if trail and trail[0].casefold() == title.casefold():
                    trail = trail[1:]
                prefix = " › ".join([title, *trail])
                is_title = heading.casefold() == title.casefold()
                url = section_url(str(doc.metadata.get("url", "")), heading, is_title)
                for piece in splitter.split_text_metadata_aware(body, prefix):
                    chunks.append(self._node(doc, prefix, piece, url, " › ".join(trail), count))
                    count += 1
        return chunks

    @staticmethod
    def _node(
        doc: BaseNode, prefix: str, piece: str, url: str, section: str, index: int
    ) -> TextNode:
        metadata = {
            **{k: doc.metadata.get(k, "") for k in CHUNK_KEYS},
            "url": url,
            "section": section,
            "doc_hash": doc.hash,
        }
        keys = list(metadata)
        return TextNode(
            id_=node_id(doc.id_, doc.hash, index),
            text=f"{prefix}\n\n{piece}",
            metadata=metadata,
            excluded_embed_metadata_keys=keys,
            excluded_llm_metadata_keys=keys,
            relationships={NodeRelationship.SOURCE: doc.as_related_node_info()},
        )


def _split_heading(section_text: str) -> tuple[str, str]:
    """(heading text, body) of a section that may start with an ATX heading line."""
    first, _, rest = section_text.partition("\n")
    if first.startswith("#"):
        return plain_heading(first.lstrip("#").strip().rstrip("#").strip()), rest.strip()
    return "", section_text.strip()
