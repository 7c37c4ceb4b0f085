"""`supportbot doctor` as a new user runs it: one line per part, ok or what to fix, against real
services (Redis, PostgreSQL, Milvus Lite) and local stand-ins for Slack's and Discord's APIs."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.search.base import KnowledgeBase
from tests.conftest import SUPPORTBOT, make_settings
from tests.integration.workers.test_worker import ingest_small_docs
from tests.support.databases import POSTGRES
from tests.support.discord_api import DiscordStandIn
from tests.support.slack_api import SlackStandIn

SLACK_TOKEN = "xoxb-doctor-secret"  # noqa: S105 - the stand-in's, not a real one
DISCORD_TOKEN = "doctor-discord-secret"  # noqa: S105
APP_TOKEN = "xapp-doctor"  # noqa: S105


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[tuple[SlackStandIn, DiscordStandIn]]:
    slack, discord = SlackStandIn().start(), DiscordStandIn().start()
    yield slack, discord
    slack.stop()
    discord.stop()


def doctor(tmp_path: Path, **env: str) -> tuple[int, dict[str, tuple[str, str]]]:
    """Exit code, and each part's (status, detail) as printed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    done = subprocess.run(
        [SUPPORTBOT, "doctor"], cwd=tmp_path, env={**clean, **env}, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    parts: dict[str, tuple[str, str]] = {}
    for line in done.stdout.splitlines():
        status, part, detail = line.split(maxsplit=2)
        repeated = sum(key.split("#")[0] == part for key in parts)
        parts[f"{part}#{repeated + 1}" if repeated else part] = (status, detail)  # scope, scope#2
    return done.returncode, parts


def test_a_working_setup_is_all_ok(tmp_path, stand_ins):
    slack, discord = stand_ins
    ingest_small_docs(tmp_path / "data")
    code, parts = doctor(
        tmp_path,
        SUPPORTBOT_DATA_DIR=str(tmp_path / "data"),
        SUPPORTBOT_BROKER_URL="redis://127.0.0.1:6379/13",
        SUPPORTBOT_RECORDS_URL=POSTGRES,
        SUPPORTBOT_GENERATOR="extractive",
        SUPPORTBOT_SLACK_BOT_TOKEN=SLACK_TOKEN,
        SUPPORTBOT_SLACK_APP_TOKEN=APP_TOKEN,
        SUPPORTBOT_SLACK_API_URL=slack.url,
        SUPPORTBOT_DISCORD_TOKEN=DISCORD_TOKEN,
        SUPPORTBOT_DISCORD_API_URL=discord.api_url,
    )
    assert code == 0, parts
    assert list(parts) == ["slack", "discord", "scope", "broker", "records", "index", "model"]
    assert parts["scope"] == ("ok", "other channels and DMs: docs")
    assert {status for status, _ in parts.values()} == {"ok"}
    assert "collection 'supportbot': 1 chunk" in parts["index"][1]
    assert "signed in as" in parts["slack"][1] and "signed in as" in parts["discord"][1]
    assert "extractive" in parts["model"][1]


def test_each_broken_part_is_named_with_the_setting_to_fix(tmp_path, stand_ins):
    code, parts = doctor(
        tmp_path,
        SUPPORTBOT_DATA_DIR=str(tmp_path / "data"),  # nothing ingested
        SUPPORTBOT_BROKER_URL="redis://127.0.0.1:1/0",  # nothing listens there
        SUPPORTBOT_RECORDS_URL="postgresql+psycopg://postgres:hunter2@127.0.0.1:1/records",
        SUPPORTBOT_GENERATOR="hub",
        SUPPORTBOT_HF_OFFLINE="true",
        SUPPORTBOT_BASE_MODEL="acme/not-in-the-cache",
        SUPPORTBOT_HF_CACHE_DIR=str(tmp_path / "hub"),
        SUPPORTBOT_SLACK_BOT_TOKEN=SLACK_TOKEN,
        SUPPORTBOT_SLACK_APP_TOKEN=APP_TOKEN,
        SUPPORTBOT_SLACK_API_URL="http://127.0.0.1:1/api/",
    )
    assert code == 1
    assert parts["slack"][0] == "FAIL" and "can't reach" in parts["slack"][1]
    assert parts["discord"] == ("note", "not configured (set SUPPORTBOT_DISCORD_TOKEN to use it)")
    assert parts["broker"][0] == "FAIL" and "SUPPORTBOT_BROKER_URL" in parts["broker"][1]
    assert parts["records"][0] == "FAIL" and "SUPPORTBOT_RECORDS_URL" in parts["records"][1]
    assert parts["index"][0] == "FAIL" and "supportbot ingest" in parts["index"][1]
    assert parts["model"][0] == "FAIL" and "SUPPORTBOT_BASE_MODEL" in parts["model"][1]
    printed = repr(parts)
    assert "hunter2" not in printed and SLACK_TOKEN not in printed


def test_auto_notes_that_it_will_quote_when_the_model_cannot_be_had(tmp_path):
    code, parts = doctor(
        tmp_path,
        SUPPORTBOT_DATA_DIR=str(tmp_path / "data"),
        SUPPORTBOT_HF_OFFLINE="true",
        SUPPORTBOT_BASE_MODEL="acme/not-in-the-cache",
        SUPPORTBOT_HF_CACHE_DIR=str(tmp_path / "hub"),
    )
    status, detail = parts["model"]
    assert status == "note" and "will quote the docs" in detail
    assert code == 1  # only because nothing was ingested
    assert [p for p, (s, _) in parts.items() if s == "FAIL"] == ["index"]


def test_each_channels_scope_is_listed_and_a_private_collection_only_where_named(tmp_path):
    ingest_small_docs(tmp_path / "data")  # collection "docs"
    (tmp_path / "internal").mkdir()
    (tmp_path / "internal" / "codes.md").write_text("# Refund codes\nAgents use RF-7731.\n")
    kb = KnowledgeBase(make_settings(tmp_path / "data"))
    kb.ingest([tmp_path / "internal"], private=True)
    kb.close()
    slack = {"C0STAFF": {"collections": ["internal"]}, "C0OLD": {"collections": ["biling"]}}
    _, parts = doctor(
        tmp_path,
        SUPPORTBOT_DATA_DIR=str(tmp_path / "data"),
        SUPPORTBOT_GENERATOR="extractive",
        SUPPORTBOT_SLACK_CHANNELS=json.dumps(slack),
        SUPPORTBOT_DISCORD_CHANNELS=json.dumps({"42": {"handoff": "<@&7>"}}),
    )
    assert [value for key, value in parts.items() if key.startswith("scope")] == [
        ("ok", "slack C0STAFF: internal (private)"),
        ("note", "slack C0OLD: biling; no documents in biling (collections: docs, internal)"),
        ("ok", "discord 42: docs"),  # a policy that names no collection: the default scope
        ("ok", "other channels and DMs: docs"),
    ]
    _, limited = doctor(tmp_path, SUPPORTBOT_DATA_DIR=str(tmp_path / "data"),
                        SUPPORTBOT_DEFAULT_COLLECTIONS="docs,internal")  # fmt: skip
    assert limited["scope"] == ("ok", "other channels and DMs: docs, internal (private)")
