"""Which worker pool may own the index: a pure decision, said plainly at start-up."""

from __future__ import annotations


class PoolNotAllowedError(RuntimeError):
    """Several processes would open one Milvus Lite file."""


def check_pool(uses_milvus_lite: bool, pool: str, concurrency: int) -> str:
    """Say which pool runs, or refuse one that would open a Lite file from several processes."""
    if uses_milvus_lite and pool == "prefork" and concurrency > 1:
        raise PoolNotAllowedError(
            "Milvus Lite allows one process per index file: start the worker with "
            "`--pool threads` (or `--pool solo`), or set SUPPORTBOT_MILVUS_URI to a Milvus "
            "server to run several processes."
        )
    if uses_milvus_lite:
        return f"Milvus Lite index: this one process owns it ({pool} pool)."
    return f"Milvus server index: any pool and any number of workers ({pool}, {concurrency})."
