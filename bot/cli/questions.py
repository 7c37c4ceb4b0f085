"""`supportbot questions`: where every question stands, and which askers are still waiting.

Registered on the main command in bot/cli/commands.py. Reads the records; a question that waits long
(no answer, or an answer not posted) is what the sweeper acts on, listed here for a person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import read_settings
from bot.cli.console import console


def questions(
    limit: Annotated[int, typer.Option(help="Waiting questions to list.", min=1)] = 20,
) -> None:
    """Questions per state, then those whose asker has not heard back yet, oldest first."""
    from knowledge.records.store import Records

    records = Records(read_settings().resolved_records_url)
    try:
        counts, waiting = records.counts(), records.waiting(limit=limit)
    finally:
        records.close()
    console.print(
        ", ".join(f"{state}: {count}" for state, count in sorted(counts.items())) or "no questions",
        highlight=False,
    )
    if not waiting:
        console.print("Nobody is waiting for an answer.")
        return
    now = datetime.now(UTC)
    table = Table("question", "state", "waiting", "asked", "why", title="Still waiting")
    for item in waiting:
        minutes = (now - item.asked_at).total_seconds() / 60
        table.add_row(
            escape(item.question.key), item.state, f"{minutes:.0f} min",
            escape(item.question.text[:60]), escape(item.failure[:60]),
        )  # fmt: skip
    console.print(table)
