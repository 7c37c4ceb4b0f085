"""`supportbot report`: the records as a page, served on localhost behind SUPPORTBOT_REPORT_TOKEN
(`bot.report.server`), or written as one self-contained HTML file (`--out`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import read_settings
from bot.cli.console import console, errors


def report(
    out: Annotated[
        Path | None, typer.Option(help="Write the page to this file instead of serving it.")
    ] = None,
    days: Annotated[int, typer.Option(help="How many days back it covers.", min=1)] = 28,
    host: Annotated[str, typer.Option(help="Where to serve it (keep it local).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Its port.", min=1, max=65535)] = 8050,
) -> None:
    """Questions per day by outcome, the gaps in the docs (questions declined, voted down or
    handed to a person, grouped by meaning, each with a suggested fix), the pages answers cite,
    and the time to answer."""
    from bot.report import page
    from knowledge.index.embedding import load_embedding
    from knowledge.records import report as compute
    from knowledge.records.store import Records

    settings = read_settings()
    token = settings.report_token.get_secret_value()
    if out is None and not token:
        errors.print("[red]error:[/red] set SUPPORTBOT_REPORT_TOKEN to serve the report (every "
                     "request must carry it), or write it to a file with --out.")  # fmt: skip
        raise typer.Exit(2)
    embedding = load_embedding(settings)
    store = Records(settings.resolved_records_url)

    def build(*, inline_js: bool) -> str:
        built = compute.build(store, embedding.get_text_embedding_batch, now=datetime.now(UTC),
                              days=days)  # fmt: skip
        return page.render(built, inline_js=inline_js)

    if out is not None:
        try:
            out.write_text(build(inline_js=True), encoding="utf-8")
        finally:
            store.close()
        console.print(f"report written to {out} (one file, no network needed to open it)")
        return
    from bot.report.server import Cached, application
    from bot.slack.http import make_server

    app = application(token, Cached(lambda: build(inline_js=False)), page.plotly_js)
    server = make_server(app, host, port)
    console.print(f"report at http://{host}:{server.effective_port}/?token=… (your "
                  "SUPPORTBOT_REPORT_TOKEN); Ctrl-C stops it", highlight=False)  # fmt: skip
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        store.close()
