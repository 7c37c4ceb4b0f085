"""Ingest: read files, chunk and embed only what changed, swap versions without a gap.

A changed document's new chunks are written before its old ones are deleted, so a failure at any
point leaves the previous version searchable. Chunk ids are deterministic, so a re-run after a
crash upserts instead of duplicating. The docstore records each document's hash; it is written
(atomically) only after the document's chunks are in Milvus.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core import Document
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import BaseNode
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.vector_stores.milvus import MilvusVectorStore

from knowledge.index.chunking import SectionChunker
from knowledge.index.documents import discover, read
from knowledge.index.embedding import LengthSorted, token_counter
from knowledge.index.sentences import SentenceVectors
from knowledge.index.store import flush
from knowledge.models import ChangeKind, FileProblem, IngestReport, PageChange, Progress
from knowledge.settings import Settings

logger = logging.getLogger(__name__)

#: Called as progress(documents done, documents total, chunks so far).
_BATCH_DOCS = 32


@dataclass
class Plan:
    """What to do with each document, decided from hashes alone."""

    new: list[Document] = field(default_factory=list)
    changed: list[Document] = field(default_factory=list)
    unchanged: list[Document] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def plan_ingest(
    documents: Sequence[Document],
    recorded: dict[str, tuple[str, str]],
    seen: set[str],
    scopes: Iterable[str],
) -> Plan:
    """Compare read documents with the record {doc_id: (hash, scope)}.

    A recorded document is deleted only when it belongs to a folder ingested now (`scopes`) and
    its file is gone (not in `seen`, which includes files that failed to read).
    """
    plan = Plan()
    for doc in documents:
        before = recorded.get(doc.id_)
        if before is None:
            plan.new.append(doc)
        elif before[0] != doc.hash:
            plan.changed.append(doc)
        else:
            plan.unchanged.append(doc)
    scope_set = set(scopes)
    plan.deleted = sorted(
        doc_id
        for doc_id, (_, scope) in recorded.items()
        if scope in scope_set and doc_id not in seen
    )
    return plan


class Ingestor:
    """Runs ingest against one open store with one loaded embedding model."""

    def __init__(self, settings: Settings, embed: BaseEmbedding, store: MilvusVectorStore):
        self.settings = settings
        self.store = store
        self.docstore_path = settings.docstore_path
        #: What this run changed in the store, for the owner's table (`ChunkTable.updated`): the
        #: pages whose chunks it replaced or deleted, and the chunks it wrote.
        self.dropped: set[str] = set()
        self.written: list[BaseNode] = []
        # For the rerank, each chunk's sentences are embedded once, here (about as much work again
        # as the chunks themselves); with the rerank off they aren't.
        sentence_vectors = [SentenceVectors(embed)] if settings.sentence_weight > 0 else []
        self.pipeline = IngestionPipeline(
            transformations=[
                SectionChunker(
                    token_counter(embed),
                    chunk_size=settings.chunk_size,
                    chunk_overlap=settings.chunk_overlap,
                ),
                LengthSorted(),
                *sentence_vectors,
                embed,
            ],
            disable_cache=True,
        )

    def run(
        self,
        paths: Iterable[Path],
        *,
        collection: str | None = None,
        base_url: str | None = None,
        private: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        files, problems, scopes = discover(paths, collection)
        report = IngestReport(documents=len(files), problems=problems)
        max_bytes = int(self.settings.max_file_mb * 1_000_000)
        documents: list[Document] = []
        for source in files:
            try:
                found = read(source, base_url=base_url, max_bytes=max_bytes, private=private)
            except (ValueError, OSError) as exc:
                report.problems.append(FileProblem(path=str(source.path), reason=str(exc)))
                continue
            documents.append(found.document)
            report.flagged += [FileProblem(path=str(source.path), reason=f) for f in found.flags]
        docstore = self._load_docstore()
        recorded = {
            doc_id: (docstore.get_document_hash(doc_id) or "", str(doc.metadata.get("scope", "")))
            for doc_id, doc in docstore.docs.items()
        }
        plan = plan_ingest(documents, recorded, {f.doc_id for f in files}, scopes)
        report.unchanged = len(plan.unchanged)
        todo = [*plan.new, *plan.changed]
        changed_ids = {d.id_ for d in plan.changed}
        done = len(plan.unchanged)
        if progress:
            progress(done, len(files), 0)
        for start in range(0, len(todo), _BATCH_DOCS):
            batch = todo[start : start + _BATCH_DOCS]
            embedded = self._embed(batch, report)
            self._replace(embedded, docstore)
            for doc, chunks in embedded:
                report.chunks += len(chunks)
                report.changes.append(
                    _change("changed" if doc.id_ in changed_ids else "added", doc.id_, doc.metadata)
                )
            self._persist(docstore)
            done += len(batch)
            if progress:
                progress(done, len(files), report.chunks)
        for doc_id in plan.deleted:
            recorded_doc = docstore.docs.get(doc_id)
            report.changes.append(
                _change("removed", doc_id, recorded_doc.metadata if recorded_doc else {})
            )
            self._delete(doc_id, docstore)
        self._persist(docstore)
        flush(self.store)
        report.seconds = time.perf_counter() - started
        return report

    def _embed(
        self, batch: list[Document], report: IngestReport
    ) -> list[tuple[Document, list[BaseNode]]]:
        """Chunk and embed a batch at once (fast); on failure, one by one to find the culprit."""
        try:
            return _group(batch, self.pipeline.run(documents=batch))
        except Exception:
            if len(batch) == 1:
                raise
        results = []
        for doc in batch:
            try:
                results.extend(_group([doc], self.pipeline.run(documents=[doc])))
            except Exception as exc:
                logger.exception("Failed to chunk or embed %s", doc.id_)
                path = str(doc.metadata.get("path", doc.id_))
                report.problems.append(FileProblem(path=path, reason=f"failed to embed: {exc}"))
        return results

    def _replace(
        self, embedded: list[tuple[Document, list[BaseNode]]], docstore: SimpleDocumentStore
    ) -> None:
        """New versions in, then old versions out, then record them: one write of each per batch.

        A document's hash is unique to it (its metadata holds its path), so "doc_id in batch and
        doc_hash not in the new hashes" selects exactly the stale versions of these documents.
        """
        if not embedded:
            return
        chunks = [chunk for _, doc_chunks in embedded for chunk in doc_chunks]
        if chunks:
            self.store.add(chunks)
        docs = [doc for doc, _ in embedded]
        self.store.delete_nodes(
            filters=MetadataFilters(
                filters=[
                    MetadataFilter(
                        key="doc_id", value=[d.id_ for d in docs], operator=FilterOperator.IN
                    ),
                    MetadataFilter(
                        key="doc_hash", value=[d.hash for d in docs], operator=FilterOperator.NIN
                    ),
                ]
            )
        )
        for doc in docs:
            _record(docstore, doc)
        self.dropped |= {doc.id_ for doc in docs}
        self.written += chunks

    def _delete(self, doc_id: str, docstore: SimpleDocumentStore) -> None:
        self.store.delete_nodes(
            filters=MetadataFilters(filters=[MetadataFilter(key="doc_id", value=doc_id)])
        )
        docstore.delete_document(doc_id, raise_error=False)
        self.dropped.add(doc_id)

    def _load_docstore(self) -> SimpleDocumentStore:
        if self.docstore_path.exists():
            return SimpleDocumentStore.from_persist_path(str(self.docstore_path))
        return SimpleDocumentStore()

    def _persist(self, docstore: SimpleDocumentStore) -> None:
        """Write the record atomically: a crash never leaves half a JSON file."""
        self.docstore_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.docstore_path.with_suffix(".tmp")
        docstore.persist(str(tmp))
        tmp.replace(self.docstore_path)


def _record(docstore: SimpleDocumentStore, doc: Document) -> None:
    """Remember the version now searchable: its hash and where it came from, not its text."""
    keep = {
        k: doc.metadata.get(k, "")
        for k in ("scope", "path", "title", "url", "collection", "private")
    }
    docstore.add_documents([Document(id_=doc.id_, text="", metadata=keep)])
    docstore.set_document_hash(doc.id_, doc.hash)


def _change(kind: ChangeKind, doc_id: str, metadata: dict[str, Any]) -> PageChange:
    return PageChange(
        kind=kind,
        doc_id=doc_id,
        title=str(metadata.get("title", "")),
        url=str(metadata.get("url", "")),
    )


def _group(
    batch: list[Document], chunks: Sequence[BaseNode]
) -> list[tuple[Document, list[BaseNode]]]:
    by_doc: dict[str, list[BaseNode]] = {doc.id_: [] for doc in batch}
    for chunk in chunks:
        if chunk.ref_doc_id in by_doc:
            by_doc[chunk.ref_doc_id].append(chunk)
    return [(doc, by_doc[doc.id_]) for doc in batch]
