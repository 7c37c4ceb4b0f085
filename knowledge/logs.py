"""One way to log for every supportbot process: plain lines (no colour codes, which a log file or
honcho's pipe would show as garbage), and the libraries' start-up chatter kept out of them.

Each quieted logger says below why its messages are noise to the person reading the log.
"""

from __future__ import annotations

import logging
import os

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
COMPACT = "%(levelname)s %(name)s: %(message)s"

#: Logger -> the lowest level worth showing, and why.
QUIET = {
    # Milvus Lite's in-process server logs calls pymilvus makes that Lite does not implement
    # (AllocTimestamp while creating an index); they are retried and harmless.
    "grpc._server": logging.CRITICAL,
    # faiss (loaded by a dependency) says at INFO which CPU build it picked, and that the AVX2
    # one is missing: nothing anyone can act on.
    "faiss": logging.WARNING,
    "faiss.loader": logging.WARNING,
    # pymilvus warns "[WARNING][__setup_ts_by_request]: failed to get mvccTs from milvus server,
    # use client-side ts instead" at every read of the whole index: Milvus Lite has no
    # server-side timestamp for iterators, and the client-side one is what the read needs anyway
    # (one process writes; an ingest's versions swap whole). A new user reads it as an error.
    # Its errors (a traceback each) are raised to the caller too, which says them in one line.
    # pymilvus sets its own level when imported: `knowledge.index.store` quiets it again then.
    "pymilvus": logging.CRITICAL,
    # "MilvusLite server started/stopped": the index is opened and closed in every command.
    "milvus_lite": logging.WARNING,
    # A traceback when another process holds the file: `store.open_store` says it in one line,
    # with what to do (a command hands its job to the worker that holds it).
    "milvus_lite.server_manager": logging.CRITICAL,
    # A failed write (a full disk) logged with its traceback; the client gets the same error.
    "milvus_lite.adapter.grpc.servicer": logging.CRITICAL,
    # Alembic lists its plugins and migration context each time the records are opened.
    "alembic": logging.WARNING,
    # Hub downloads: one line per file at INFO.
    "huggingface_hub": logging.WARNING,
    "httpx": logging.WARNING,
    "sentence_transformers": logging.WARNING,
}

#: Environment defaults for what libraries print themselves, each read once at the library's
#: import (a person's own setting wins). The command line's bars are rich's, not touched.
LIBRARY_ENV = {
    # transformers' warnings at every model load.
    "TRANSFORMERS_VERBOSITY": "error",
    # Hub download bars.
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    # Every other bar: llama_index, transformers' one-time GGUF conversion, TRL's training.
    "TQDM_DISABLE": "1",
    # The tokenizers library's warning when a process that used it forks.
    "TOKENIZERS_PARALLELISM": "false",
}


def library_defaults() -> None:
    """Set `LIBRARY_ENV` where it isn't set: before any of those libraries is imported."""
    for name, value in LIBRARY_ENV.items():
        os.environ.setdefault(name, value)


def configure(level: str = "INFO", *, compact: bool = False) -> None:
    """Plain log lines on stderr at `level`, libraries' noise quieted. Call once, in `main()`."""
    logging.basicConfig(level=level, format=COMPACT if compact else FORMAT, force=True)
    quiet(*QUIET)


def quiet(*names: str) -> None:
    """Apply `QUIET`'s thresholds to these loggers (again, after a library set its own)."""
    for name in names:
        logging.getLogger(name).setLevel(QUIET[name])
