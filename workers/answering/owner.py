"""Which process owns a Milvus Lite index: the worker notes its pid beside the index at start-up,
so that `supportbot ingest`, finding the file held, knows whether a worker holds it (hand the job
over) or something else does (say so, as before). Milvus Lite is a local file, so the owner is on
this machine and its pid can be checked."""

from __future__ import annotations

import os
from pathlib import Path

from knowledge.files import write_whole
from knowledge.settings import Settings


def owner_file(settings: Settings) -> Path:
    return settings.data_dir / "worker.pid"


def claim(settings: Settings) -> None:
    """Note this process as the index's worker (called once the index is open)."""
    write_whole(owner_file(settings), str(os.getpid()))


def release(settings: Settings) -> None:
    path = owner_file(settings)
    try:
        if path.read_text(encoding="utf-8").strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass


def worker_running(settings: Settings) -> bool:
    """Whether the worker that noted itself is still alive."""
    try:
        pid = int(owner_file(settings).read_text(encoding="utf-8").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True
