"""The records, opened once per process: every worker task that reads or writes a question's life
goes through `records()`. Opening migrates the schema, so it happens on first use, not at import.
"""

from __future__ import annotations

import threading

from knowledge.records.store import Records
from knowledge.settings import load
from workers.settings import WorkerSettings

_records: Records | None = None
_settings: WorkerSettings | None = None
_opening = threading.Lock()


def settings() -> WorkerSettings:
    """The worker settings, read once."""
    global _settings
    with _opening:
        if _settings is None:
            _settings = load(WorkerSettings)
    return _settings


def records() -> Records:
    """The process's records, opened (and migrated) once even when many threads ask at once."""
    global _records
    url = settings().resolved_records_url
    with _opening:
        if _records is None:
            _records = Records(url)
    return _records


def configure(read: WorkerSettings) -> None:
    """The settings the process has read already (a worker module, at import)."""
    global _settings
    with _opening:
        _settings = read
