"""The `supportbot` command as a person uses it: exit codes and messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.commands import app
from tests.conftest import SAMPLE_DOCS, SUPPORTBOT

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SUPPORTBOT_DATA_DIR": str(tmp_path / "data")}


def test_ingest_reports_skipped_files_and_succeeds_when_some_docs_went_in(tmp_path, env):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Refunds\nYearly plans are refunded within 14 days.")
    (docs / "bad.md").write_bytes(b"\x00\x00binary")
    (docs / "huge.txt").write_bytes(b"x" * 1_100_000)
    result = runner.invoke(app, ["ingest", str(docs)], env={**env, "SUPPORTBOT_MAX_FILE_MB": "1"})
    assert result.exit_code == 0, result.output
    assert "bad.md: binary file" in result.output
    assert "huge.txt: file is 1.1 MB, over the 1 MB limit" in result.output
    assert "1 added" in result.output and "2 skipped" in result.output
    found = runner.invoke(app, ["search", "can I get my money back", "-k", "1"], env=env)
    assert found.exit_code == 0
    assert "[1] Refunds" in found.output


def test_ingest_fails_when_nothing_could_be_ingested(tmp_path, env):
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing")], env=env)
    assert result.exit_code == 1
    assert "no such file or folder" in result.output
    assert "nothing could be ingested" in result.output


def test_search_refuses_an_empty_question_and_an_unknown_mode(env):
    empty = runner.invoke(app, ["search", "   "], env=env)
    assert empty.exit_code == 2 and "The question is empty" in empty.output
    mode = runner.invoke(app, ["search", "hi", "--mode", "magic"], env=env)
    assert mode.exit_code == 2 and "'magic' is not one of 'hybrid', 'dense', 'rrf'" in mode.output


def test_ingest_progress_is_printed_as_lines_when_not_on_a_terminal(tmp_path, env):
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(40):  # two batches of documents
        (docs / f"page{n}.md").write_text(f"# Page {n}\nHow to set up feature number {n}.")
    result = runner.invoke(app, ["ingest", str(docs)], env=env)
    assert result.exit_code == 0, result.output
    assert re.findall(r"ingest: (\d+)/40 documents", result.output) == ["0", "32", "40"]
    assert "ingest: 40/40 documents (40 chunks embedded)" in result.output
    assert "\x1b[" not in result.output  # no colour codes in a log
    assert "40 documents: 40 added" in result.output


def test_an_empty_collection_is_named_with_the_ones_that_exist(tmp_path, env):
    docs = tmp_path / "docs"
    (docs / "billing").mkdir(parents=True)
    (docs / "billing" / "refunds.md").write_text("# Refunds\nYearly plans are refunded.")
    assert runner.invoke(app, ["ingest", str(docs)], env=env).exit_code == 0
    for command in ("search", "ask"):
        result = runner.invoke(app, [command, "refund?", "--collection", "biling"], env=env)
        assert result.exit_code == 2, result.output
        assert "no documents in collection 'biling'" in result.output
        assert "Collections with documents: billing." in result.output


def test_ask_reads_a_long_question_from_standard_input(tmp_path, env):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "refunds.md").write_text("# Refunds\nYearly plans are refunded within 14 days.")
    assert runner.invoke(app, ["ingest", str(docs)], env=env).exit_code == 0
    question = "can I get a refund on a yearly plan? " + "please " * 150_000  # ~1 MB
    result = runner.invoke(
        app, ["ask", "-", "--json"], input=question,
        env={**env, "SUPPORTBOT_GENERATOR": "extractive"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "14 days" in result.output
    assert '"url": ""' in result.output and "file://" not in result.output  # no server paths


def test_a_write_the_machine_refuses_is_one_line_and_the_index_keeps_what_it_had(tmp_path, env):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "refunds.md").write_text("# Refunds\nYearly plans are refunded within 14 days.")
    assert runner.invoke(app, ["ingest", str(docs)], env=env).exit_code == 0

    # The kernel refuses to grow any file past 100 kB (EFBIG). The limit is set by a fresh
    # interpreter that then becomes the command: a `preexec_fn` would run in a fork of this
    # process, whose gRPC threads (Milvus Lite's, from earlier tests) make that fork unsafe.
    small_files = (
        "import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000)); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    refused = subprocess.run(
        [sys.executable, "-c", small_files, SUPPORTBOT, "ingest", str(SAMPLE_DOCS)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: the data folder {env['SUPPORTBOT_DATA_DIR']} refused a write: File too large "
        "(errno 27). Free some space (or fix the folder) and run it again; the index keeps "
        "what it had."
    )
    assert "Traceback" not in refused.stderr + refused.stdout
    found = runner.invoke(app, ["search", "refund on a yearly plan", "-k", "1"], env=env)
    assert "[1] Refunds" in found.output
    again = runner.invoke(app, ["ingest", str(SAMPLE_DOCS)], env=env)  # space again: it heals
    assert again.exit_code == 0 and "33 added" in again.output


def test_a_held_index_file_gets_a_plain_explanation(tmp_path, env):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from knowledge.settings import Settings; "
            "from knowledge.index.store import open_store; "
            f"open_store(Settings(_env_file=None, data_dir=Path({str(tmp_path / 'data')!r})), 8); "
            "print('ready', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "a.md").write_text("# A\nText.")
        result = runner.invoke(app, ["ingest", str(tmp_path / "docs")], env=env)
        assert result.exit_code == 2
        assert "in use by another process" in result.output
        assert "SUPPORTBOT_MILVUS_URI" in result.output
    finally:
        holder.communicate(input="", timeout=60)


def test_eval_prints_metrics_per_mode(tmp_path, env):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "refunds.md").write_text("# Refunds\nYearly plans are refunded within 14 days.")
    (docs / "sso.md").write_text("# Single sign-on\nSAML 2.0 with Okta and Entra ID.")
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "money back?", "source": ["refunds.md"]}\n'
        '{"question": "okta login", "source": ["docs/sso.md"]}\n'
    )
    assert runner.invoke(app, ["ingest", str(docs)], env=env).exit_code == 0
    saved = tmp_path / "baseline.json"
    result = runner.invoke(app, ["eval", "retrieval", str(questions), "--json", str(saved)],
                           env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "hybrid" in line or "dense" in line]
    assert len(rows) == 2 and all("1.000" in row for row in rows)
    figures = json.loads(saved.read_text())
    assert [(s["mode"], s["hit_at_1"]) for s in figures["scores"]] == [("hybrid", 1.0),
                                                                     ("dense", 1.0)]  # fmt: skip


def test_eval_answers_answers_questions_at_once_and_saves_each_answer(tmp_path, env):
    questions, outside = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    questions.write_text(
        '{"question": "How long do I have to get a refund on a yearly plan?", '
        '"source": ["billing/refund-policy.md"]}\n'
        '{"question": "How do I set up single sign-on with Okta?", '
        '"source": ["account/single-sign-on.md"]}\n'
    )
    outside.write_text('{"question": "What is the best pizza topping?"}\n')
    assert runner.invoke(app, ["ingest", str(SAMPLE_DOCS)], env=env).exit_code == 0
    saved = tmp_path / "answers.json"
    result = runner.invoke(
        app, ["eval", "answers", str(questions), "--out-of-scope", str(outside),
              "--concurrency", "3", "--json", str(saved)], env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Posted by extractive" in result.output
    report = json.loads(saved.read_text())
    asked = [a["question"] for a in report["answers"]]
    assert asked == [*(json.loads(line)["question"] for line in questions.read_text().splitlines()),
                     "What is the best pizza topping?"]  # fmt: skip
    assert report["posted"] == sum(not a["declined"] for a in report["answers"])
    assert all(a["citations"] for a in report["answers"] if not a["declined"])


def test_a_bad_setting_is_one_line_naming_the_variable(env):
    result = runner.invoke(app, ["search", "refund?"], env={**env, "SUPPORTBOT_TOP_K": "lots"})
    assert result.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("error: SUPPORTBOT_TOP_K:") and "Traceback" not in result.output


def test_questions_lists_who_is_still_waiting(tmp_path, env):
    from knowledge.records.store import Posted, Records, Reply
    from knowledge.settings import Settings
    from tests.support.answers import answered, asked
    from tests.support.processes import settings_from

    records = Records(settings_from(Settings, env).resolved_records_url)
    reply = Reply("supportbot.deliver.slack", {"channel": "C1", "thread_ts": "1.0"})
    records.record_answer(asked("EvDone"), answered(), Posted("C1/2.0", "C1/1.0"))
    records.claim(asked("EvStuck", "why is the sky blue?"), reply)
    records.fail(asked("EvStuck").key, "GenerationError: the model is down")
    records.close()
    result = runner.invoke(app, ["questions"], env=env)
    assert result.exit_code == 0, result.output
    assert "delivered: 1" in result.output and "failed: 1" in result.output
    assert "slack:T1:EvStuck" in result.output and "EvDone" not in result.output
    assert "GenerationError" in result.output
