"""`KnowledgeBase`: the one object a process opens to ingest into and search the index.

It loads the embedding model and opens Milvus once; callers (the CLI, a worker) keep it for the
life of the process. With Milvus Lite only one process may hold it open at a time, so that process
also holds the chunks in memory and searches them there (`chunk_table`), reading them again after
each ingest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from knowledge.chunk_table import ChunkTable
from knowledge.embedding import load_embedding
from knowledge.models import IngestReport, Progress, Source
from knowledge.retrieve import Retriever
from knowledge.settings import SearchMode, Settings
from knowledge.store import chunk_texts, close, collection_names, open_store
from knowledge.terms import Vocabulary


class KnowledgeBase:
    """Ingest and search over one Milvus collection."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.embed = load_embedding(settings)
        dim = len(self.embed.get_text_embedding("dimension probe"))
        self.store = open_store(settings, dim)
        self.retriever = Retriever(
            self.embed,
            self.store,
            settings.bm25_weight,
            settings.chunks_per_page,
            settings.sentence_weight,
        )
        self._vocabulary: Vocabulary | None = None
        self._ingesting = threading.Lock()  # a worker's threads: one ingest at a time
        self._read_table()

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        collection: str | None = None,
        base_url: str | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Add new and changed documents, drop vanished ones; see `knowledge.ingest`."""
        from knowledge.ingest import Ingestor  # its readers load only when there is ingesting

        with self._ingesting:
            ingestor = Ingestor(self.settings, self.embed, self.store)
            try:
                return ingestor.run(
                    paths, collection=collection, base_url=base_url, progress=progress
                )
            finally:
                self._read_table()  # searches use the old version until the new one is whole
                self._vocabulary = None  # the docs changed: count their words again when next asked

    def vocabulary(self) -> Vocabulary:
        """How often each word stem occurs in the indexed chunks, counted once per process.

        Another process's ingest (only with a Milvus server) is seen after a restart.
        """
        if self._vocabulary is None:
            table = self.retriever.table
            texts = table.texts() if table is not None else chunk_texts(self.store)
            self._vocabulary = Vocabulary.from_texts(texts)
        return self._vocabulary

    def search(
        self,
        question: str,
        *,
        top_k: int | None = None,
        mode: SearchMode | None = None,
        collections: Sequence[str] | None = None,
    ) -> list[Source]:
        """Ranked pages for a question, each with its best chunk and a citable url."""
        return self.retriever.search(
            question,
            top_k=top_k or self.settings.top_k,
            mode=mode or self.settings.search_mode,
            collections=collections,
        )

    def collections(self) -> list[str]:
        """The collection tags that hold documents now."""
        return collection_names(self.store)

    def _read_table(self) -> None:
        """Hold the chunks in memory when this process owns a Milvus Lite file (no other process
        can write to it); a Milvus server is searched directly."""
        if self.settings.uses_milvus_lite:
            self.retriever.table = ChunkTable.read(self.store, self.settings.bm25_analyzer)

    def close(self) -> None:
        """Release the Milvus file (Lite) or connection, so another process may open it."""
        close(self.store, self.settings)
