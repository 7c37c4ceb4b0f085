"""The `supportbot` command: ingest docs, search them, ask, evaluate retrieval (and, from
bot/cli_feedback.py, export feedback and tune the brand-voice adapter).

Settings are read once here and passed down; errors become one actionable line and an exit code.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli_feedback import feedback_app, tune
from bot.console import console, errors
from knowledge.settings import SearchMode, Settings

app = typer.Typer(
    help="supportbot: answers support questions from your docs.", no_args_is_help=True
)
eval_app = typer.Typer(help="Measure retrieval (and later answers) on a question set.")
app.add_typer(eval_app, name="eval")
app.add_typer(feedback_app, name="feedback")
app.command()(tune)


def _settings() -> Settings:
    return Settings()


def _open(settings: Settings):
    """Open the knowledge base, turning a locked or unreachable index into a clear exit."""
    from knowledge.base import KnowledgeBase
    from knowledge.store import IndexLockedError, StoreUnavailableError

    try:
        return KnowledgeBase(settings)
    except (IndexLockedError, StoreUnavailableError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders of markdown, HTML, text, PDF.")
    ],
    base_url: Annotated[
        str | None, typer.Option(help="Public URL of the docs root, for citations.")
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(help="Collection tag for these docs (default: their top-level folder)."),
    ] = None,
) -> None:
    """Add new and changed documents to the index and drop those removed from a folder."""
    settings = _settings()
    kb = _open(settings)
    columns = (
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("docs · {task.fields[chunks]} chunks"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None, chunks=0)

        def progress(done: int, total: int, chunks: int) -> None:
            bar.update(task, completed=done, total=total, chunks=chunks)

        report = kb.ingest(paths, collection=collection, base_url=base_url, progress=progress)
    kb.close()
    for problem in report.problems:
        errors.print(f"[yellow]skipped[/yellow] {problem.path}: {problem.reason}")
    console.print(report.summary())
    if report.ingested == 0:
        errors.print("[red]error:[/red] nothing could be ingested.")
        raise typer.Exit(1)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What a user would ask.")],
    k: Annotated[int, typer.Option("-k", help="How many pages to show.", min=1, max=50)] = 5,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or rrf.")] = None,
    collection: Annotated[
        list[str] | None, typer.Option(help="Only these collections (repeatable).")
    ] = None,
) -> None:
    """Show the pages that best answer a question, with their links."""
    from knowledge.retrieve import EmptyQuestionError

    settings = _settings()
    kb = _open(settings)
    try:
        sources = kb.search(question, top_k=k, mode=_mode(mode), collections=collection)
    except EmptyQuestionError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        kb.close()
    if not sources:
        console.print("No documents in the index match. Ingest some with `supportbot ingest`.")
    for number, source in enumerate(sources, start=1):
        similarity = (
            f" · similarity {source.similarity:.2f}" if source.similarity is not None else ""
        )
        console.print(
            f"[bold][{number}] {source.title}[/bold]  [dim]{source.collection}{similarity}[/dim]"
        )
        console.print(f"    {source.url}", style="cyan", soft_wrap=True, highlight=False)
        body = source.text.split("\n\n", 1)[-1]
        snippet = " ".join(body.split())
        console.print(f"    {snippet[:240]}{'…' if len(snippet) > 240 else ''}", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="What a user would ask.")],
    collection: Annotated[
        list[str] | None, typer.Option(help="Only these collections (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
) -> None:
    """Answer a question from the docs, with numbered sources, as the bot would in a thread."""
    from knowledge.answer import Answerer
    from knowledge.generate import ModelLoadError, load_generator
    from knowledge.retrieve import EmptyQuestionError

    settings = _settings()
    try:
        generator = load_generator(settings)
    except ModelLoadError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    kb = _open(settings)
    try:
        answer = Answerer(kb, generator, settings).answer(question, collections=collection)
    except EmptyQuestionError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        kb.close()
    if as_json:
        console.print_json(answer.model_dump_json())
        return
    console.print(answer.text, highlight=False)
    if answer.citations:
        console.print("\n[bold]Sources[/bold]")
        for c in answer.citations:
            console.print(f"[{c.number}] {c.title}: {c.url}", highlight=False, markup=False)
    t = answer.timings
    console.print(
        f"\n[dim]confidence {answer.confidence} · {answer.model.backend} {answer.model.repo} "
        f"· retrieve {t.retrieve_ms:.0f} ms · generate {t.generate_ms:.0f} ms[/dim]"
    )


def _mode(value: str | None) -> SearchMode | None:
    if value is None or value in ("hybrid", "dense", "rrf"):
        return value  # type: ignore[return-value]
    errors.print(f"[red]error:[/red] unknown mode {value!r}: use hybrid, dense or rrf.")
    raise typer.Exit(2)


@eval_app.command("retrieval")
def eval_retrieval(
    questions: Annotated[Path, typer.Argument(help='JSONL lines {"question", "source": [...]}.')],
    modes: Annotated[str, typer.Option(help="Comma-separated search modes.")] = "hybrid,dense",
) -> None:
    """Print hit@1, hit@5, MRR and latency for each search mode, side by side."""
    from knowledge.evaluation import MRR_DEPTH, evaluate_retrieval, load_questions

    try:
        items = load_questions(questions)
    except (OSError, ValueError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    chosen = [m for m in (_mode(m.strip()) for m in modes.split(",")) if m]
    kb = _open(_settings())
    try:
        scores = evaluate_retrieval(
            lambda q, m: kb.search(q, top_k=MRR_DEPTH, mode=m),  # type: ignore[arg-type]
            items,
            chosen,
        )
    finally:
        kb.close()
    table = Table(title=f"retrieval on {questions} ({scores[0].questions} questions)")
    for column in ("mode", "hit@1", "hit@5", "MRR", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right")
    for s in scores:
        table.add_row(
            s.mode, f"{s.hit_at_1:.3f}", f"{s.hit_at_5:.3f}", f"{s.mrr:.3f}",
            f"{s.p50_ms:.1f}", f"{s.p95_ms:.1f}",
        )  # fmt: skip
    console.print(table)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Milvus Lite's in-process server logs calls pymilvus makes that Lite does not implement
    # (AllocTimestamp while creating an index); they are retried and harmless.
    logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    app()
