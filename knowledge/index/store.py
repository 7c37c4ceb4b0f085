"""The Milvus collection behind the knowledge base: dense vectors plus Milvus's built-in BM25.

Milvus Lite (a local file) may be opened by one process only; `open_store` turns the cryptic
failure into a message that says what to do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import VectorStoreQuery
from llama_index.vector_stores.milvus import MilvusVectorStore
from llama_index.vector_stores.milvus.utils import BM25BuiltInFunction
from pymilvus import MilvusClient

from knowledge import logs
from knowledge.settings import Settings

logs.quiet("pymilvus")  # importing pymilvus set its own level
#: BM25 text analysis on a Milvus server. "english" lowercases, stems and drops stop words, so
#: "starring" finds "star", spelled out as filters on the standard tokenizer. Milvus Lite 3 keeps
#: only the lowercase words and ignores the stemmer; its owner searches in memory instead, with
#: the same analysis (`knowledge.search.terms.bm25_tokens`).
ANALYZERS: dict[str, dict[str, object]] = {
    "english": {
        "tokenizer": "standard",
        "filter": [
            "lowercase",
            {"type": "stemmer", "language": "english"},
            {"type": "stop", "stop_words": ["_english_"]},
        ],
    },
    "standard": {"tokenizer": "standard", "filter": ["lowercase"]},
}


#: What a search returns per chunk (besides its text): enough to cite, nothing to parse.
RESULT_FIELDS = ("doc_id", "title", "url", "section", "collection", "path")
#: Set (true) on the chunks of a private collection's documents; absent on all others.
PRIVATE = "private"
#: The collection property each ingest into a shared index renews (see `mark_changed`).
INDEX_VERSION = "supportbot.version"


class IndexLockedError(RuntimeError):
    """Another process holds the Milvus Lite file."""


class StoreUnavailableError(RuntimeError):
    """The Milvus server could not be reached or the collection could not be opened."""


class KnowledgeStore(MilvusVectorStore):
    """MilvusVectorStore whose BM25 search works on Milvus Lite too.

    The integration asks for `drop_ratio_search=0.2`, which Milvus Lite rejects ("only
    drop_ratio_search=0 is supported"); BM25 queries are a few words: dropping none costs nothing.
    """

    def _sparse_search(
        self, query: VectorStoreQuery, string_expr: str, output_fields: list[str], **kwargs: Any
    ) -> tuple[list[BaseNode], list[float], list[str]]:
        res = self.client.search(
            collection_name=self.collection_name,
            data=[query.query_str],
            anns_field=self.sparse_embedding_field,
            limit=query.similarity_top_k,
            filter=string_expr,
            output_fields=output_fields,
            search_params={"params": {"drop_ratio_search": 0}},
        )
        return self._parse_from_milvus_results(res)


#: pymilvus pings its server every 10 s, even when idle; Milvus Lite's in-process gRPC server
#: allows one ping per 5 minutes and answers more with GOAWAY "too_many_pings", logged as an error
#: by gRPC's C core every minute or so of idleness (the channel then reconnects). A local socket
#: needs no keepalive.
LITE_GRPC = {"grpc.keepalive_time_ms": 600_000, "grpc.keepalive_permit_without_calls": False}
#: Tries at opening a collection that other processes are creating at the same moment.
CREATE_RACE_TRIES = 5


def open_store(settings: Settings, dim: int, *, _tries: int = 1) -> KnowledgeStore:
    """Open (creating if needed) the collection with hybrid search enabled."""
    uri = settings.resolved_milvus_uri
    if settings.uses_milvus_lite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = KnowledgeStore(  # type: ignore[call-arg]  # the plugin misreads its __init__
            uri=uri,
            token=settings.milvus_token.get_secret_value(),
            collection_name=settings.milvus_collection,
            dim=dim,
            similarity_metric="IP",  # embeddings are normalised: IP is cosine
            enable_sparse=True,
            sparse_embedding_function=BM25BuiltInFunction(
                analyzer_params=ANALYZERS[settings.bm25_analyzer]
            ),
            hybrid_ranker="RRFRanker",
            upsert_mode=True,
            use_async_client=False,
            output_fields=[*RESULT_FIELDS, PRIVATE],
            **({"grpc_options": LITE_GRPC} if settings.uses_milvus_lite else {}),
        )
        store.client.load_collection(settings.milvus_collection)
    except Exception as exc:
        if not settings.uses_milvus_lite and created_meanwhile(exc) and _tries < CREATE_RACE_TRIES:
            # another process created the collection between this one's check and its create;
            # it may not have finished, so the next check waits a moment longer each time
            time.sleep(0.2 * _tries)
            return open_store(settings, dim, _tries=_tries + 1)
        if settings.uses_milvus_lite and "open local milvus failed" in str(exc).lower():
            raise IndexLockedError(
                f"The index file {uri} is in use by another process (Milvus Lite allows one). "
                "Stop the process using it (such as a running supportbot worker) and retry, "
                "or set SUPPORTBOT_MILVUS_URI to a Milvus server, which many processes can share."
            ) from exc
        raise StoreUnavailableError(f"Could not open Milvus at {safe_uri(uri)}: {exc}") from exc
    return store


def close(store: MilvusVectorStore, settings: Settings) -> None:
    """Close the connection and, for Milvus Lite, stop its in-process server.

    Closing the client alone keeps the Lite server, and so the file lock, until the process exits;
    another process (a worker) could not open the index meanwhile.
    """
    store.client.close()
    if settings.uses_milvus_lite:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(settings.resolved_milvus_uri)


def collection_names(store: MilvusVectorStore) -> list[str]:
    """The collection tags that hold documents, read from the index itself (any Milvus)."""
    return sorted(set(field_values(store, "collection", batch_size=10_000)) - {""})


def collection_privacy(client: MilvusClient, collection: str) -> dict[str, bool]:
    """Each collection tag that holds documents, and whether it is private (any of its documents
    was ingested as private), read from the index itself (any Milvus; a client is enough, so
    `supportbot doctor` reads it without loading a model)."""
    found: dict[str, bool] = {}
    for row in _rows(client, collection, ["collection", PRIVATE], batch_size=10_000):
        name = str(row.get("collection") or "")
        found[name] = found.get(name, False) or bool(row.get(PRIVATE))
    return found


def created_meanwhile(exc: BaseException) -> bool:
    """Whether creating the collection failed because another process was creating it: Milvus
    says it already exists, or (milvus_lite's server, both creates past its check) its folder."""
    said = str(exc).lower()
    return "already exist" in said or "file exists" in said


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the Milvus endpoint could not be reached (down, restarting, the network
    cut), as opposed to a request it refused: the first is worth trying again later."""
    import grpc
    from pymilvus.exceptions import MilvusException, MilvusUnavailableException

    if isinstance(exc, MilvusUnavailableException):
        return True
    if isinstance(exc, grpc.RpcError):
        code = exc.code() if callable(getattr(exc, "code", None)) else None
        return code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    if isinstance(exc, MilvusException):
        said = str(exc).lower()
        return any(s in said for s in ("connect", "unavailable", "deadline"))
    return isinstance(exc, ConnectionError)


def mark_changed(store: MilvusVectorStore) -> None:
    """Tell the other processes that share this index that it changed: a new version id in
    the collection's properties, which `version` reads for the price of one small call."""
    store.client.alter_collection_properties(
        store.collection_name, properties={INDEX_VERSION: uuid.uuid4().hex}
    )


def version(store: MilvusVectorStore) -> str:
    """What moves whenever any process ingests into the index: the version id `mark_changed`
    wrote, and the row count (for writers that don't mark, such as an older supportbot)."""
    described = store.client.describe_collection(store.collection_name)
    marked = (described.get("properties") or {}).get(INDEX_VERSION, "")
    return f"{marked}:{row_count(store)}"


def row_count(store: MilvusVectorStore) -> int:
    """How many chunks the collection holds now (deletions counted, unlike its statistics)."""
    found = store.client.query(store.collection_name, filter="", output_fields=["count(*)"])
    return int(found[0]["count(*)"])


def chunk_texts(store: MilvusVectorStore) -> Iterator[str]:
    """Every chunk's text (for the decline signal's vocabulary)."""
    return field_values(store, store.text_key, batch_size=2_000)


def field_values(store: MilvusVectorStore, field: str, *, batch_size: int) -> Iterator[str]:
    """One field of every chunk, read in batches; a chunk without it gives ''."""
    return (str(row.get(field) or "") for row in rows(store, [field], batch_size=batch_size))


def rows(
    store: MilvusVectorStore, fields: list[str], *, batch_size: int
) -> Iterator[dict[str, Any]]:
    """Some fields of every chunk (its id too), read in batches of `batch_size`."""
    return _rows(store.client, store.collection_name, fields, batch_size=batch_size)


def _rows(
    client: MilvusClient, collection: str, fields: list[str], *, batch_size: int
) -> Iterator[dict[str, Any]]:
    pages = client.query_iterator(
        collection, batch_size=batch_size, filter="", output_fields=fields
    )
    try:
        while batch := pages.next():
            yield from batch
    finally:
        pages.close()


def stored_fields(store: MilvusVectorStore, chunk_ids: list[str], field: str) -> dict[str, str]:
    """One field of some chunks, by id; chunks without it (written before it existed) are left
    out. A primary-key lookup: a few milliseconds."""
    if not chunk_ids:
        return {}
    rows = store.client.get(store.collection_name, ids=chunk_ids, output_fields=[field])
    return {str(row["id"]): str(row[field]) for row in rows if row.get(field)}


def flush(store: MilvusVectorStore) -> None:
    """Seal the growing segment so searches use the index (about 6 ms instead of 300 ms)."""
    store.client.flush(store.collection_name)


def safe_uri(uri: str) -> str:
    """A URI without any user:password part, fit for messages."""
    scheme, sep, rest = uri.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if sep else uri
