"""`supportbot doctor`: one line per configured part, ok or what to fix.

Each check is a function from settings to a `Check`; none of them changes anything (no download,
no migration, no message posted). It exits 1 when a part the bot needs is broken; a chat platform
that isn't configured is only noted, since a team may use just one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.markup import escape

from bot.cli.console import console
from bot.discord.settings import DiscordSettings
from bot.slack.settings import SlackSettings
from knowledge.models import plural
from knowledge.search.scopes import scope
from knowledge.settings import BadSettingsError, load
from workers.settings import WorkerSettings

if TYPE_CHECKING:
    from pymilvus import MilvusClient

Status = Literal["ok", "note", "fail"]
MARKS = {"ok": "[green]ok  [/green]", "note": "[yellow]note[/yellow]", "fail": "[red]FAIL[/red]"}


@dataclass(frozen=True)
class Check:
    part: str
    status: Status
    detail: str


@contextmanager
def _milvus(settings: WorkerSettings) -> Iterator[MilvusClient]:
    """A client of the index, closed (and a Lite file released) afterwards."""
    from pymilvus import MilvusClient

    uri = settings.resolved_milvus_uri
    client = MilvusClient(uri=uri, token=settings.milvus_token.get_secret_value())
    try:
        yield client
    finally:
        client.close()
        if settings.uses_milvus_lite:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)


def index(settings: WorkerSettings) -> Check:
    uri = settings.resolved_milvus_uri
    if settings.uses_milvus_lite and not Path(uri).exists():
        return Check("index", "fail", f"{uri} does not exist yet: run `supportbot ingest DOCS`")
    name = settings.milvus_collection
    try:
        with _milvus(settings) as client:
            if not client.has_collection(name):
                return Check(
                    "index",
                    "fail",
                    f"{_redacted(uri)} has no collection {name!r}: run "
                    "`supportbot ingest DOCS` (or check SUPPORTBOT_MILVUS_COLLECTION)",
                )
            rows = int(client.get_collection_stats(name).get("row_count", 0))
    except Exception as exc:
        if _held(settings, exc):
            return Check("index", "ok", f"{uri} is open in another process (a running worker)")
        return Check(
            "index",
            "fail",
            f"can't open Milvus at {_redacted(uri)}: {_first_line(exc)}; "
            "check SUPPORTBOT_MILVUS_URI and SUPPORTBOT_MILVUS_TOKEN",
        )
    if rows == 0:
        return Check("index", "fail", f"collection {name!r} is empty: run `supportbot ingest DOCS`")
    return Check("index", "ok", f"{_redacted(uri)}, collection {name!r}: {plural(rows, 'chunk')}")


def scopes(settings: SlackSettings, discord: DiscordSettings) -> list[Check]:
    """What each channel with a policy may draw on, then every other channel and DM."""
    from knowledge.index.store import collection_privacy

    privacy: dict[str, bool] | None = None
    if not settings.uses_milvus_lite or Path(settings.resolved_milvus_uri).exists():
        # held by a worker, or down: the index check says so
        with suppress(Exception), _milvus(settings) as client:
            client.load_collection(settings.milvus_collection)  # reading is all it does
            privacy = collection_privacy(client, settings.milvus_collection)
    policies = [(f"slack {channel}", policy.collections)
                for channel, policy in settings.slack_channels.items()]  # fmt: skip
    policies += [(f"discord {channel}", policy.collections)
                 for channel, policy in discord.discord_channels.items()]  # fmt: skip
    policies.append(("other channels and DMs", None))
    return [_scope(who, named, settings.default_collections, privacy) for who, named in policies]


def _scope(
    who: str, named: list[str] | None, default: list[str], privacy: dict[str, bool] | None
) -> Check:
    if privacy is None and named is None and not default:
        return Check("scope", "ok", f"{who}: every collection not marked private (the index "
                     "can't be read now to list them)")  # fmt: skip
    chosen = scope(named, default, privacy or {})
    shown = ", ".join(f"{c} (private)" if (privacy or {}).get(c) else c for c in chosen)
    empty = [c for c in chosen if privacy is not None and c not in privacy]
    if empty:
        return Check("scope", "note", f"{who}: {shown}; no documents in {', '.join(empty)} "
                     f"(collections: {', '.join(sorted(privacy or {})) or 'none'})")  # fmt: skip
    return Check("scope", "ok", f"{who}: {shown or 'nothing'}")


def _held(settings: WorkerSettings, exc: Exception) -> bool:
    """A Milvus Lite file another process (a worker) holds open."""
    return settings.uses_milvus_lite and "open local milvus failed" in str(exc).lower()


def broker(settings: WorkerSettings) -> Check:
    from kombu import Connection

    url = settings.resolved_broker_url
    shown = _redacted(url)
    if not settings.broker_url:
        return Check("broker", "ok", f"embedded: {shown} (made at first start; one machine only)")
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return Check(
            "broker",
            "fail",
            f"can't reach {shown}: {_first_line(exc)}; is it running? (SUPPORTBOT_BROKER_URL)",
        )
    return Check("broker", "ok", shown)


def database(part: str, url: str, variable: str) -> Check:
    from sqlalchemy import create_engine, make_url, text

    file = make_url(url).database if url.startswith("sqlite") else None
    if file and not Path(file).exists():
        return Check(part, "ok", f"{_redacted(url)} (made at first start)")
    engine = create_engine(url, connect_args=_connect_timeout(url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return Check(
            part, "fail", f"can't connect to {_redacted(url)}: {_first_line(exc)} ({variable})"
        )
    finally:
        engine.dispose()
    return Check(part, "ok", _redacted(url))


def model(settings: WorkerSettings) -> Check:
    from knowledge.answers.generate import ModelLoadError
    from knowledge.answers.generate.hub import locate

    if settings.generator == "extractive":
        return Check("model", "ok", "extractive: answers quote the docs (no model)")
    if settings.generator == "hosted":
        if not settings.hosted_url:
            return Check(
                "model",
                "note",
                f"hosted {settings.hosted_model or settings.base_model}"
                " through Inference Providers (not checked)",
            )
        problem = _unreachable(settings.hosted_url)
        if problem:
            return Check(
                "model", "fail", f"hosted {settings.hosted_url}: {problem} (SUPPORTBOT_HOSTED_URL)"
            )
        return Check("model", "ok", f"hosted {settings.hosted_url}")
    try:
        return Check("model", "ok", f"{settings.generator}: {locate(settings)}")
    except ModelLoadError as exc:
        if settings.generator == "auto":
            return Check(
                "model",
                "note",
                f"auto: {exc}; the worker will quote the docs instead "
                "(set SUPPORTBOT_GENERATOR=extractive to not try the model)",
            )
        return Check("model", "fail", f"hub: {exc}")


def platform(
    part: str, missing: list[str], check_token: Callable[[], tuple[str | None, str]]
) -> Check:
    """A chat platform: not configured (a note: a team may use just one), or its token's check."""
    if missing:
        return Check(part, "note", f"not configured (set {', '.join(missing)} to use it)")
    problem, detail = check_token()
    return Check(part, "fail" if problem else "ok", problem or detail)


def slack(settings: SlackSettings) -> Check:
    from bot.slack.health import check_token

    return platform("slack", settings.missing(), lambda: check_token(settings))


def discord(settings: DiscordSettings) -> Check:
    from bot.discord.health import check_token

    return platform("discord", settings.missing(), lambda: check_token(settings))


def checks(
    settings: SlackSettings, discord_settings: DiscordSettings
) -> list[Callable[[], Check | list[Check]]]:
    """Every check, in the order a message travels (`settings` holds all but Discord's)."""
    return [
        lambda: slack(settings),
        lambda: discord(discord_settings),
        lambda: scopes(settings, discord_settings),
        lambda: broker(settings),
        lambda: database("records", settings.resolved_records_url, "SUPPORTBOT_RECORDS_URL"),
        lambda: index(settings),
        lambda: model(settings),
    ]


def doctor() -> None:
    """Check each configured part (platforms, broker, databases, index, model): ok, or the fix."""
    try:
        settings, discord_settings = load(SlackSettings), load(DiscordSettings)
    except BadSettingsError as exc:
        console.print(f"{MARKS['fail']} settings  {exc}", highlight=False)
        raise typer.Exit(1) from exc
    failed = False
    for run in checks(settings, discord_settings):
        try:
            found = run()
        except Exception as exc:  # a check must report, never crash the others
            found = Check("?", "fail", f"{type(exc).__name__}: {_first_line(exc)}")
        for check in found if isinstance(found, list) else [found]:
            failed |= check.status == "fail"
            detail = escape(check.detail)  # it quotes settings and collection names
            console.print(f"{MARKS[check.status]} {check.part:<9} {detail}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _redacted(url: str) -> str:
    """A URL without its password, fit to print."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a SQLAlchemy-shaped URL (a file path, an http:// Milvus)
        from knowledge.index.store import safe_uri

        return safe_uri(url)


def _unreachable(url: str) -> str | None:
    """None when something answers HTTP at `url` (any status), else why not."""
    import httpx

    try:
        httpx.get(url, timeout=3)
    except httpx.HTTPError as exc:
        return f"nothing answers there ({type(exc).__name__})"
    return None


def _connect_timeout(url: str) -> dict[str, int]:
    return {"connect_timeout": 3} if url.startswith("postgresql") else {}
