"""What every `supportbot` command starts with: the settings, read once, and the knowledge base,
each turned into one clear line and exit code 2 when it can't be had."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from bot.cli.console import errors
from knowledge.settings import BadSettingsError, Settings, load

if TYPE_CHECKING:
    from knowledge.search.base import KnowledgeBase


def read_settings() -> Settings:
    """The settings, or one line per bad variable and exit code 2 (shared by every command)."""
    try:
        return load(Settings)
    except BadSettingsError as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc


def open_knowledge(settings: Settings) -> KnowledgeBase:
    """Open the knowledge base, turning a locked or unreachable index into a clear exit."""
    from knowledge.index.store import IndexLockedError, StoreUnavailableError
    from knowledge.search.base import KnowledgeBase

    try:
        return KnowledgeBase(settings)
    except (IndexLockedError, StoreUnavailableError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
