"""Files written whole or not at all: a reader (the ingest, `supportbot ingest` looking for the
worker) never sees half of one, whatever happens to the writer."""

from __future__ import annotations

from pathlib import Path


def write_whole(path: Path, text: str) -> None:
    """Write beside `path` (a hidden partial file), then rename over it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
