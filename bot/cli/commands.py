"""The `supportbot` command: search the docs, ask, evaluate retrieval (and, from bot/cli/sources.py,
ingest and sync the docs; from bot/cli/feedback.py, export feedback and tune the brand-voice
adapter).

Settings are read once here and passed down; errors become one actionable line and an exit code.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import open_knowledge, read_settings
from bot.cli.console import console, errors
from bot.cli.doctor import doctor
from bot.cli.evaluate import eval_app
from bot.cli.feedback import feedback_app, forget, tune
from bot.cli.questions import questions
from bot.cli.report import report
from bot.cli.sources import ingest, sources, sync
from knowledge import logs
from knowledge.settings import SearchMode

app = typer.Typer(
    help="supportbot: answers support questions from your docs.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a crash report must not print settings or tokens
)

#: Typed as a choice, so a wrong mode is refused before anything loads.
MODE = typer.Option(help="hybrid, dense or rrf.")
COLLECTIONS = typer.Option(
    help="Only these collections (repeatable); default: SUPPORTBOT_DEFAULT_COLLECTIONS, else "
    "every collection not marked private, as in a channel without a policy.",
    metavar="NAME",
)
NO_LINK = "(no public link)"


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What a user would ask; - reads stdin.")],
    k: Annotated[
        int, typer.Option("-k", help="How many pages to show.", min=1, max=50, metavar="N")
    ] = 5,
    mode: Annotated[SearchMode | None, MODE] = None,
    collection: Annotated[list[str] | None, COLLECTIONS] = None,
) -> None:
    """Show the pages that best answer a question, with their links."""
    from knowledge.search.retrieve import EmptyQuestionError

    text = _question(question)
    settings = read_settings()
    kb = open_knowledge(settings)
    try:
        _check_collections(kb, collection)
        sources = kb.search(text, top_k=k, mode=mode, collections=collection)
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
            f"[bold]\\[{number}] {escape(source.title)}[/bold]  "
            f"[dim]{escape(source.collection)}{similarity}[/dim]"
        )
        console.print(f"    {source.url or f'{NO_LINK} {source.path}'}", style="cyan",
                      soft_wrap=True, highlight=False, markup=False)  # fmt: skip
        body = source.text.split("\n\n", 1)[-1]
        snippet = " ".join(body.split())
        console.print(f"    {snippet[:240]}{'…' if len(snippet) > 240 else ''}", highlight=False,
                      markup=False)  # fmt: skip


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="What a user would ask; - reads stdin.")],
    collection: Annotated[list[str] | None, COLLECTIONS] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
) -> None:
    """Answer a question from the docs, with numbered sources, as the bot would in a thread."""
    from knowledge.answers.answer import Answerer
    from knowledge.answers.generate import ModelLoadError, load_generator
    from knowledge.search.retrieve import EmptyQuestionError

    text = _question(question)
    settings = read_settings()
    kb = open_knowledge(settings)
    try:
        _check_collections(kb, collection)
        generator = load_generator(settings)
        answer = Answerer(kb, generator, settings).answer(text, collections=collection)
    except (EmptyQuestionError, ModelLoadError) as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    finally:
        kb.close()
    if as_json:
        console.print_json(answer.model_dump_json())
        return
    if answer.note:
        console.print(answer.note, style="italic", highlight=False, markup=False)
    console.print(answer.text, highlight=False, markup=False)
    if answer.citations:
        console.print("\n[bold]Sources[/bold]")
        for c in answer.citations:
            console.print(f"[{c.number}] {c.title}: {c.url or NO_LINK}", highlight=False,
                          markup=False)  # fmt: skip
    t = answer.timings
    console.print(
        f"\n[dim]confidence {answer.confidence} · {answer.model.backend} {answer.model.repo} "
        f"· retrieve {t.retrieve_ms:.0f} ms · generate {t.generate_ms:.0f} ms[/dim]"
    )
    if answer.grounding is not None:  # what the model wrote, and what of it was left out
        g = answer.grounding
        console.print(f"[dim]the model wrote {g.sentences} sentence(s); {len(g.removed)} left out"
                      + (f"; quoted instead: {g.quoted_because}" if g.quoted_because else "")
                      + "[/dim]", highlight=False)  # fmt: skip


def _question(argument: str) -> str:
    """The question itself, or standard input for `-` (a long question is no argument)."""
    return sys.stdin.read() if argument == "-" else argument


def _check_collections(kb, wanted: list[str] | None) -> None:  # kb: KnowledgeBase
    """A collection that holds no documents is a typo or a missing ingest: say which exist."""
    if not wanted:
        return
    present = kb.collections()
    empty = [name for name in wanted if name not in present]
    if empty:  # the caller's `finally` closes the index
        listed = ", ".join(present) if present else "none yet (run `supportbot ingest`)"
        errors.print(
            f"[red]error:[/red] no documents in collection {', '.join(map(repr, empty))}. "
            f"Collections with documents: {listed}.",
            highlight=False,
        )
        raise typer.Exit(2)


app.command()(ingest)
app.command()(sync)
app.command()(sources)
app.add_typer(eval_app, name="eval")
app.add_typer(feedback_app, name="feedback")
app.command()(tune)
app.command()(forget)
app.command()(report)
app.command()(doctor)
app.command()(questions)


def main() -> None:
    """Console-script entry point."""
    logs.configure("WARNING", compact=True)
    app()
