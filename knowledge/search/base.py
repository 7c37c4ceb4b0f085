"""`KnowledgeBase`: the one object a process opens to ingest into and search the index.

It loads the embedding model and opens Milvus once; callers (the CLI, a worker) keep it for the
life of the process. With Milvus Lite only one process may hold it open at a time, so that process
also holds the chunks in memory and searches them there (`chunk_table`), updated with the pages
each ingest changed, and saved (`table_file`) so the next start loads them rather than reading
the store.

A search draws on the collections it names; one that names none draws on the default scope
(see `scopes`), never on everything: a private collection is served only where it is named.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core.schema import MetadataMode

from knowledge.index.embedding import load_embedding
from knowledge.index.sentences import SENTENCE_VECTORS
from knowledge.index.store import (
    StoreUnavailableError,
    chunk_texts,
    close,
    collection_names,
    collection_privacy,
    mark_changed,
    open_store,
    row_count,
    safe_uri,
    unreachable,
    version,
)
from knowledge.models import IngestReport, Progress, Source
from knowledge.search import table_file
from knowledge.search.chunk_table import Chunk, ChunkTable
from knowledge.search.retrieve import Retriever
from knowledge.search.scopes import scope
from knowledge.search.terms import Vocabulary
from knowledge.settings import SearchMode, Settings

if TYPE_CHECKING:
    from knowledge.index.ingest import Ingestor

logger = logging.getLogger(__name__)


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
        self._privacy: tuple[float, dict[str, bool]] | None = None  # (read at, privacy)
        self._vocabulary_at: tuple[float, str] = (0.0, "")  # (checked at, the version counted)
        self._counting = threading.Lock()
        self._ingesting = threading.Lock()  # a worker's threads: one ingest at a time
        self._read_table()

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        collection: str | None = None,
        base_url: str | None = None,
        private: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Add new and changed documents, drop vanished ones; see `knowledge.index.ingest`.
        `private` marks their collection as served only where a channel names it."""
        from knowledge.index.ingest import Ingestor  # its readers load only when there is ingesting

        with self._ingesting, self._one_ingest_per_record():
            table_file.forget(self.settings.table_path)  # until the table is whole again
            ingestor = Ingestor(self.settings, self.embed, self.store)
            finished = False
            try:
                report = ingestor.run(paths, collection=collection, base_url=base_url,
                                      private=private, progress=progress)  # fmt: skip
                finished = True
                return report
            finally:
                if not (finished and self._update_table(ingestor)):
                    self._reread()
                if (ingestor.written or ingestor.dropped) and not self.settings.uses_milvus_lite:
                    self._tell_the_others()
                self._vocabulary = None  # the docs changed: count their words again when next asked
                self._privacy = None

    def vocabulary(self) -> Vocabulary:
        """How often each word stem occurs in the indexed chunks (the decline check's sense of
        what the docs talk about), counted once per process from the chunks it holds.

        With a Milvus server another process may ingest: the index's version (`store.version`)
        is checked at most every `shared_index_check_s`, and the words counted again when it
        moved (a worker started before the docs were in knows them after the next check).
        """
        table = self.retriever.table
        if table is not None:
            if self._vocabulary is None:
                self._vocabulary = Vocabulary.from_texts(table.texts())
            return self._vocabulary
        with self._counting, self._reaching():
            checked_at, counted = self._vocabulary_at
            now = time.monotonic()
            if self._vocabulary is None or now - checked_at >= self.settings.shared_index_check_s:
                seen = version(self.store)
                if self._vocabulary is None or seen != counted:
                    self._vocabulary = Vocabulary.from_texts(chunk_texts(self.store))
                self._vocabulary_at = (now, seen)
            return self._vocabulary

    def search(
        self,
        question: str,
        *,
        top_k: int | None = None,
        mode: SearchMode | None = None,
        collections: Sequence[str] | None = None,
    ) -> list[Source]:
        """Ranked pages for a question, each with its best chunk and a citable url, from the
        named collections, or from the default scope when none is named (see the module)."""
        with self._reaching():
            return self.retriever.search(
                question,
                top_k=top_k or self.settings.top_k,
                mode=mode or self.settings.search_mode,
                collections=self.scope(collections),
            )

    def scope(self, collections: Sequence[str] | None) -> list[str]:
        """The collections a search draws on (see `knowledge.search.scopes`)."""
        if collections is not None or self.settings.default_collections:
            return scope(collections, self.settings.default_collections, {})
        return scope(None, (), self.privacy())

    def privacy(self) -> dict[str, bool]:
        """Each collection that holds documents, and whether it is private.

        The owner of a Milvus Lite file reads it from the chunks in memory (always current). With
        a Milvus server it is read at most every `shared_index_check_s` (a minute): a collection
        another process adds is in no default scope until then (it fails closed), one made private
        there may still be served for that minute."""
        table = self.retriever.table
        if table is not None:
            return table.collections()
        cached = self._privacy
        if cached is None or time.monotonic() - cached[0] >= self.settings.shared_index_check_s:
            with self._reaching():
                privacy = collection_privacy(self.store.client, self.store.collection_name)
            cached = self._privacy = (time.monotonic(), privacy)
        return cached[1]

    def _tell_the_others(self) -> None:
        """Renew the shared index's version, so the other processes count its words again. An
        endpoint that refuses (an older Milvus) leaves them the row count to go by."""
        try:
            mark_changed(self.store)
        except Exception as exc:
            logger.warning(
                "Could not mark the index as changed (%s); other processes see this ingest's "
                "words only where it changed the number of chunks",
                exc,
            )

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """A Milvus server that can't be reached is `StoreUnavailableError`: a worker tries the
        question again later instead of failing it (a Lite file is in this process)."""
        try:
            yield
        except StoreUnavailableError:
            raise
        except Exception as exc:
            if self.settings.uses_milvus_lite or not unreachable(exc):
                raise
            uri = safe_uri(self.settings.resolved_milvus_uri)
            raise StoreUnavailableError(
                f"The Milvus server at {uri} did not answer: {exc}"
            ) from exc

    @contextmanager
    def _one_ingest_per_record(self) -> Iterator[None]:
        """One ingest at a time per ingest record (data folder), across processes: two at once
        would each replace the other's pages (both write, then each deletes every version but
        its own). The second waits, and says so."""
        from filelock import FileLock, Timeout

        record = self.settings.docstore_path
        record.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(record.with_suffix(".lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            logger.warning("Another ingest into %s is running; this one waits for it", record)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def collections(self) -> list[str]:
        """The collection tags that hold documents now."""
        return collection_names(self.store)

    def _update_table(self, ingestor: Ingestor) -> bool:
        """The chunks in memory after a finished ingest: the pages it changed, and only those,
        taken out and put back in (one changed page at 10k chunks no longer costs a full
        read of the store). False when the table must be read whole again."""
        table = self.retriever.table
        if table is None:
            return False
        if not ingestor.dropped and not ingestor.written:
            return True
        try:
            added = [(Chunk.of(node.node_id, node.get_content(MetadataMode.NONE),
                           {**node.metadata, "doc_id": node.ref_doc_id or ""}),
                  node.get_embedding(), str(node.metadata.get(SENTENCE_VECTORS) or ""))
                     for node in ingestor.written]  # fmt: skip
            self.retriever.table = self._saved(table.updated(ingestor.dropped, added))
        except Exception:
            logger.exception("Could not update the chunks in memory; reading them all again")
            return False
        return True

    def _reread(self) -> None:
        """After an ingest, even a failed one: searches use the old table until the new one is
        whole. A table that can't be read (the disk that failed the ingest) keeps the old one,
        rather than hide why the ingest failed."""
        try:
            self._read_table()
        except Exception:
            logger.exception("Could not read the index again after an ingest; searches go on "
                             "with the chunks read before it")  # fmt: skip

    def _read_table(self) -> None:
        """Hold the chunks in memory when this process owns a Milvus Lite file (no other process
        can write to it); a Milvus server is searched directly."""
        if self.settings.uses_milvus_lite:
            analyzer, stamp = self.settings.bm25_analyzer, self._stamp()
            saved = table_file.load(self.settings.table_path, stamp, analyzer)
            self.retriever.table = saved or self._saved(ChunkTable.read(self.store, analyzer),
                                                        stamp)  # fmt: skip

    def _saved(self, table: ChunkTable, stamp: str | None = None) -> ChunkTable:
        """`table`, saved so the next start loads it instead of reading the store, and held as
        the saved copy (its sentence vectors and texts mapped from disk, not in memory). A disk
        that can't take it keeps the table in memory; the next start reads the store. `stamp`:
        the store's, where the caller has just read it (no write since)."""
        try:
            stamp = stamp or self._stamp()
            table_file.save(table, self.settings.table_path, stamp)
            return table_file.load(self.settings.table_path, stamp, table.analyzer) or table
        except OSError:
            logger.warning("Could not save the chunk table in %s; the next start reads the "
                           "index instead", self.settings.table_path, exc_info=True)  # fmt: skip
            return table

    def _stamp(self) -> str:
        return table_file.stamp(row_count(self.store), self.settings.docstore_path)

    def close(self) -> None:
        """Release the Milvus file (Lite) or connection, so another process may open it."""
        close(self.store, self.settings)
