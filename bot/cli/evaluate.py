"""`supportbot eval retrieval|answers`: measure the bot on a question set over your own docs.

Registered on the main command in bot/cli/commands.py. `retrieval` ranks pages; `answers`
answers every question as the bot would and shows how well each decline signal, and the bot
itself, tells the answerable questions from the out-of-scope ones, so a team can choose its own
threshold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import open_knowledge, read_settings
from bot.cli.console import console, errors
from knowledge.settings import SEARCH_MODES

eval_app = typer.Typer(help="Measure retrieval and answers on a question set.")

QUESTIONS = typer.Argument(help='JSONL lines {"question", "source": [...]}.', metavar="FILE")
SAVE = typer.Option(
    "--json", help="Also write the figures to this JSON file (a baseline).", metavar="FILE"
)


#: What `--json` keeps of each answer: enough to read it as posted and see what was left out.
ANSWER_FIELDS: dict[str, bool | dict[str, set[str]]] = {
    "question": True, "text": True, "citations": True, "declined": True, "answerability": True,
    "grounding": True, "retrieved": {"__all__": {"url", "path", "title", "score", "text"}},
}  # fmt: skip


def _load(path: Path):  # -> list[EvalQuestion]
    from knowledge.answers.evaluation import load_questions

    try:
        return load_questions(path)
    except (OSError, ValueError) as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc


@eval_app.command("retrieval")
def eval_retrieval(
    questions: Annotated[Path, QUESTIONS],
    modes: Annotated[
        str, typer.Option(help="Comma-separated search modes.", metavar="MODES")
    ] = "hybrid,dense",
    save: Annotated[Path | None, SAVE] = None,
) -> None:
    """Print hit@1, hit@5, MRR and latency for each search mode, side by side."""
    from rich.table import Table

    from knowledge.answers.evaluation import MRR_DEPTH, evaluate_retrieval

    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in SEARCH_MODES]
    if unknown or not chosen:
        errors.print(f"[red]error:[/red] unknown mode {unknown!r}: use {', '.join(SEARCH_MODES)}.")
        raise typer.Exit(2)

    items = _load(questions)
    kb = open_knowledge(read_settings())
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
    if scores[0].by_kind:
        kinds = Table(title="by question kind: hit@1 / hit@5 / MRR")
        kinds.add_column("kind")
        kinds.add_column("questions", justify="right")
        for s in scores:
            kinds.add_column(s.mode, justify="right")
        for kind, first in scores[0].by_kind.items():
            cells = [
                f"{k.hit_at_1:.2f} / {k.hit_at_5:.2f} / {k.mrr:.2f}"
                for k in (s.by_kind[kind] for s in scores)
            ]
            kinds.add_row(kind, str(first.questions), *cells)
        console.print(kinds)
    if save is not None:
        figures = {"questions": str(questions), "scores": [s.model_dump() for s in scores]}
        save.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


@eval_app.command("answers")
def eval_answers(
    questions: Annotated[Path, QUESTIONS],
    out_of_scope: Annotated[
        Path,
        typer.Option(
            "--out-of-scope",
            help='JSONL lines {"question"} that the docs do not answer.',
            metavar="FILE",
        ),
    ],
    save: Annotated[Path | None, SAVE] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Questions answered at once, as a worker's threads would (a model batches them; "
            "times then include the wait).",
        ),
    ] = 1,
) -> None:
    """Answer every question as the bot would: declines per signal and in all, right citations."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import track
    from rich.table import Table

    from knowledge.answers.answer import Answerer
    from knowledge.answers.evaluation import evaluate_answers
    from knowledge.answers.generate import ModelLoadError, load_generator

    answerable = [q for q in _load(questions) if q.source]
    outside = _load(out_of_scope)
    if not answerable or not outside:
        errors.print(
            "[red]error:[/red] need answerable questions (with a source) and out-of-scope ones."
        )
        raise typer.Exit(2)
    settings = read_settings()
    kb = open_knowledge(settings)
    try:
        generator = load_generator(settings)
        answerer = Answerer(kb, generator, settings)
        asked = [q.question for q in (*answerable, *outside)]
        with ThreadPoolExecutor(concurrency) as pool:
            answers = list(
                track(
                    pool.map(answerer.answer, asked), total=len(asked),
                    description="answering", console=errors, transient=True,
                )
            )  # fmt: skip
    except ModelLoadError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    finally:
        kb.close()
    pairs = [(a, q.source) for a, q in zip(answers, answerable, strict=False)]
    figures = evaluate_answers(pairs, answers[len(answerable) :], settings.decline_threshold)
    table = Table(
        title=f"declines: {figures.answerable} answerable, {figures.out_of_scope} out of scope"
    )
    table.add_column("signal", no_wrap=True)
    for column in ("AUC", "declined below", "out of scope declined", "answerable declined"):
        table.add_column(column, justify="right")
    for row in figures.signals:
        table.add_row(
            row.signal, f"{row.auc:.3f}", f"{row.threshold:.3f}",
            f"{row.declined:.0%}", f"{row.wrongly_declined:.0%}",
        )  # fmt: skip
    table.add_row(
        f"the bot ({generator.info.backend})", "", "",
        f"{figures.declined:.0%}", f"{figures.wrongly_declined:.0%}",
    )  # fmt: skip
    console.print(table)
    console.print(
        f"Answers citing a right page: {figures.cited_right_page:.0%} of those answered. "
        f"Time per question: p50 {figures.p50_ms:.0f} ms, p95 {figures.p95_ms:.0f} ms.\n"
        "Each signal is shown at the strictest threshold that declines at most 5% of answerable "
        "questions; the configured row is SUPPORTBOT_DECLINE_THRESHOLD.",
        highlight=False,
    )
    removed = ", ".join(f"{n} {why}" for why, n in figures.removed_why.items()) or "none"
    console.print(
        f"Posted by {generator.info.backend}: {figures.posted} answers, {figures.posted_cited} "
        f"with a valid citation; a right page cited for {figures.right_page_of_answerable:.0%} "
        f"of answerable questions (declines count as misses). Sentences written by the model: "
        f"{figures.sentences_written}, left out {figures.sentences_removed} ({removed}); "
        f"quoted instead of the model's answer: {figures.quoted_instead}.",
        highlight=False,
    )
    if save is not None:
        report = {"questions": str(questions), "out_of_scope": str(out_of_scope)}
        given = [a.model_dump(mode="json", include=ANSWER_FIELDS) for a in answers]
        save.write_text(
            json.dumps({**report, **figures.model_dump(), "answers": given}, indent=2) + "\n",
            "utf-8",
        )
