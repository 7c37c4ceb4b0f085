"""`supportbot feedback export|stats`, `supportbot tune` and `supportbot forget`: from reactions
to the next adapter, with only what a team may keep and train on.

Registered on the main command in bot/cli/commands.py; heavy libraries load only inside each
command.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from bot.cli.common import read_settings
from bot.cli.console import console, errors
from knowledge.settings import Settings

if TYPE_CHECKING:  # the records load only inside the commands that use them
    from knowledge.records.export import Consent, ExportReport
    from knowledge.records.store import Records

feedback_app = typer.Typer(help="Feedback on answers: tuning data, and how helpful answers are.")


def _store(settings: Settings):  # -> Records
    from knowledge.records.store import Records

    return Records(settings.resolved_records_url)


def _hub(settings: Settings):  # -> HfApi
    from huggingface_hub import HfApi

    return HfApi(token=settings.hf_token.get_secret_value() or None)


@feedback_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="Training file; held out goes to OUT.heldout.jsonl")],
    format: Annotated[Literal["sft", "dpo"], typer.Option(help="sft or dpo.")] = "sft",
    held_out: Annotated[
        float, typer.Option(help="Share of questions held out.", min=0, max=0.9)
    ] = 0.1,
    push: Annotated[
        str | None, typer.Option(help="Also upload to this private Hub dataset.")
    ] = None,
) -> None:
    """Write SFT conversations or DPO pairs from rated and corrected answers, taken only from the
    workspaces (SUPPORTBOT_TUNING_WORKSPACES) and channels (policy "tuning": true) that opted in."""
    from knowledge.records import privacy

    settings = read_settings()
    store = _store(settings)
    try:
        report = _write(settings, store, out, format, held_out)
        privacy.exported(store, str(out.resolve()), format, held_out, push or "")
    finally:
        store.close()
    console.print(report.summary())
    if push:
        from knowledge.tuning.publish import push_dataset

        sha = push_dataset(_hub(settings), out, report, push)
        console.print(f"pushed to {push} (private) at revision {sha}")


def _write(
    settings: Settings, store: Records, out: Path, format: Literal["sft", "dpo"], held_out: float
) -> ExportReport:
    from knowledge.answers.prompt import load_voice
    from knowledge.records.export import export as write

    return write(
        store, out, format=format, voice=load_voice(settings.voice_file),
        sources=settings.answer_sources, source_chars=settings.max_source_chars,
        held_out=held_out, consent=consent(settings),
    )  # fmt: skip


def consent(settings: Settings) -> Consent:
    """Where tuning data may come from: the workspaces named in SUPPORTBOT_TUNING_WORKSPACES and
    the Slack and Discord channels whose policy says "tuning": true."""
    from bot.discord.settings import DiscordSettings
    from bot.slack.settings import SlackSettings
    from knowledge.records.export import Consent
    from knowledge.settings import BadSettingsError, load

    channels: set[str] = set()
    for platform, kind, policies in (("slack", SlackSettings, "slack_channels"),
                                     ("discord", DiscordSettings, "discord_channels")):  # fmt: skip
        try:
            read = getattr(load(kind), policies)
        except BadSettingsError as exc:
            errors.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        channels |= {f"{platform}:{channel}" for channel, p in read.items() if p.tuning}
    return Consent(frozenset(settings.tuning_workspaces), frozenset(channels))


def forget(
    user: Annotated[str, typer.Option(help="The person's Slack or Discord user id.")],
    before: Annotated[
        datetime | None, typer.Option(help="Only what they did before this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Erase one person: the words of their questions and threads, their votes and corrections,
    their name wherever it is noted; then write every local tuning export again without them."""
    from knowledge.records import privacy

    settings = read_settings()
    store = _store(settings)
    try:
        when = before.replace(tzinfo=UTC) if before and before.tzinfo is None else before
        removed = privacy.forget(store, user, when)
        console.print(f"Removed: {removed.summary()}", highlight=False)
        for export in privacy.exports(store):
            path = Path(export.path)
            if not path.exists():
                console.print(f"export {path}: no longer on this machine", highlight=False)
                continue
            fmt: Literal["sft", "dpo"] = "dpo" if export.format == "dpo" else "sft"
            report = _write(settings, store, path, fmt, export.held_out)
            console.print(f"export {path} written again: {report.summary()}", highlight=False)
            if export.pushed_to:
                errors.print(
                    f"[yellow]the Hub dataset {export.pushed_to} still holds the earlier "
                    f"export:[/yellow] push it again (supportbot feedback export {path} "
                    f"--format {fmt} --push {export.pushed_to}) and squash its history "
                    "(huggingface_hub's super_squash_history), or delete it.", highlight=False,
                )  # fmt: skip
    finally:
        store.close()


@feedback_app.command("stats")
def stats(top: Annotated[int, typer.Option(help="Rows in each gap list.", min=1)] = 10) -> None:
    """What became of the questions per channel (answered, resolved by the bot, escalated,
    resolved by a person, open after a day); helpful rate overall, by model revision, channel
    and source; the knowledge gaps."""
    from knowledge.records.stats import Rate
    from knowledge.records.stats import stats as compute

    store = _store(read_settings())
    try:
        report = compute(store, top=top)
    finally:
        store.close()

    def rates(title: str, rows: list[Rate]) -> None:
        table = Table(title=title)
        for column in ("", "answers", "👍", "👎", "helpful"):
            table.add_column(column, justify="left" if not column else "right")
        for r in rows:
            helpful = f"{r.helpful:.0%}" if r.helpful is not None else "-"
            table.add_row(r.label, str(r.answers), str(r.up), str(r.down), helpful)
        console.print(table)

    table = Table(title="What became of the questions, by channel (shares of those asked)")
    table.add_column("", no_wrap=True)
    for column in ("asked", "answered", "declined", "closed by the bot", "to a person",
                   "closed by a person", "open after a day"):  # fmt: skip
        table.add_column(column, justify="right")
    for o in report.outcomes:
        shares = (o.answered, o.declined, o.resolved_by_bot, o.escalated, o.resolved_by_person,
                  o.open_after_a_day)  # fmt: skip
        table.add_row(o.label, str(o.asked), *(f"{n / o.asked:.0%}" for n in shares))
    console.print(table)
    rates("Overall", [report.overall])
    rates("By model revision", report.by_model)
    rates("By channel", report.by_channel)
    rates("By source page", report.by_source[: top * 2])
    for title, gaps, count in (
        ("Most often declined (the docs may not cover these)", report.most_declined, "declined"),
        ("Most often voted down", report.most_voted_down, "voted_down"),
    ):
        table = Table(title=title)
        table.add_column("question")
        table.add_column("times", justify="right")
        table.add_column(count.replace("_", " "), justify="right")
        for gap in gaps:
            table.add_row(gap.question, str(gap.times), str(getattr(gap, count)))
        console.print(table)


def tune(
    data: Annotated[
        Path | None, typer.Option(help="A local export (its .heldout beside it).")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="A Hub dataset repo, REPO or REPO@REV.")
    ] = None,
    method: Annotated[Literal["sft", "dpo"], typer.Option(help="sft, or dpo on pairs.")] = "sft",
    output: Annotated[Path, typer.Option(help="Where the adapter is written.")] = Path(
        "data/adapter"
    ),
    epochs: Annotated[float, typer.Option(min=0.1)] = 3.0,
    learning_rate: Annotated[float, typer.Option(min=0)] = 2e-4,
    lora_r: Annotated[int, typer.Option(min=1)] = 16,
    batch_size: Annotated[int, typer.Option(min=1)] = 4,
    max_length: Annotated[int, typer.Option(help="Tokens per example (prompt + answer).")] = 2048,
    push: Annotated[str | None, typer.Option(help="Publish the adapter to this Hub repo.")] = None,
    force: Annotated[bool, typer.Option(help="Publish even if held-out loss got worse.")] = False,
) -> None:
    """Train a LoRA adapter on the base model from feedback, check it, and optionally publish."""
    from knowledge.answers.generate import ModelLoadError
    from knowledge.tuning.data import TuningDataError, load_hub, load_local
    from knowledge.tuning.train import TuneOptions
    from knowledge.tuning.train import tune as train

    settings = read_settings()
    if (data is None) == (dataset is None):
        errors.print("[red]error:[/red] give exactly one of --data FILE or --dataset REPO[@REV].")
        raise typer.Exit(2)
    try:
        if data is not None:
            loaded = load_local(data)
        else:
            repo, _, revision = (dataset or "").partition("@")
            loaded = load_hub(repo, revision or None, settings)
        options = TuneOptions(
            output_dir=output,
            method=method,
            epochs=epochs,
            learning_rate=learning_rate,
            lora_r=lora_r,
            lora_alpha=2 * lora_r,
            batch_size=batch_size,
        )
        result = train(settings, loaded, options)
    except (TuningDataError, ModelLoadError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(
        f"{result.method}: {result.train_examples} examples, {result.steps} steps in "
        f"{result.seconds:.0f} s\nheld-out loss {result.loss_before:.4f} -> "
        f"{result.loss_after:.4f}; brand-voice score {result.voice_before:.2f} -> "
        f"{result.voice_after:.2f}\nadapter written to {result.output_dir}"
    )
    if result.current_loss is not None:
        console.print(f"current adapter {result.current_adapter}: loss {result.current_loss:.4f}")
    before, after = result.checks_before, result.checks_after
    console.print(
        "held-out answers, before -> after: content F1 "
        f"{before['content']:.2f} -> {after['content']:.2f}; say nothing {before['empty']:.0f} "
        f"-> {after['empty']:.0f}; cite a source {before['cited']:.0%} -> {after['cited']:.0%}; "
        f"unsupported sentences {before['unsupported']:.0%} -> {after['unsupported']:.0%}",
        highlight=False,
    )
    if result.answers_before:  # one whole answer shows what the figures mean
        console.print(f"a held-out answer before:\n{result.answers_before[0]}\nand after:\n"
                      f"{result.answers_after[0]}", markup=False, highlight=False)  # fmt: skip
    for reason in result.refused:
        errors.print(f"[red]refused:[/red] {reason}", highlight=False)
    if push:
        from knowledge.tuning.publish import RefusedError, push_adapter

        try:
            sha = push_adapter(_hub(settings), result, push, force=force)
        except RefusedError as exc:
            errors.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        console.print(rollout(push, sha, settings), highlight=False, markup=False)


def rollout(repo: str, sha: str, settings: Settings) -> str:
    """How to serve a newly published adapter with each backend (printed after `tune --push`)."""
    base = settings.base_model
    fetch = f"hf download {repo} --revision {sha} --local-dir adapters/brand"
    return (
        f"published {repo} at revision {sha}. To serve it:\n"
        f"- in the generation workers (hub backend): SUPPORTBOT_ADAPTER_MODEL={repo} "
        f"SUPPORTBOT_ADAPTER_REVISION={sha}, then restart the generation workers;\n"
        f"- vLLM: {fetch}, then vllm serve {base} --enable-lora --lora-modules "
        "brand=adapters/brand, and SUPPORTBOT_HOSTED_ADAPTER=brand;\n"
        f"- TGI: LORA_ADAPTERS={repo} text-generation-launcher --model-id {base}, and "
        f"SUPPORTBOT_HOSTED_ADAPTER={repo};\n"
        f"- an Inference Endpoint: deploy {repo} at revision {sha}, then "
        "SUPPORTBOT_HOSTED_URL=<the endpoint's URL>."
    )
