"""From stored feedback to tuning data and the stats report, through the public functions and
the `supportbot feedback` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from knowledge.models import ModelInfo
from knowledge.prompt import load_voice
from knowledge.records.export import export, held_out_path
from knowledge.records.stats import stats
from knowledge.records.store import Posted, Records
from tests.support.answers import answered, asked

T0 = datetime(2026, 11, 1, tzinfo=UTC)
OLD = ModelInfo(backend="hub", repo="org/base", revision="abc", adapter_repo="org/voice",
                adapter_revision="r1")  # fmt: skip
NEW = OLD.model_copy(update={"adapter_revision": "r2"})


def record(
    store: Records, n: int, question: str, answer: str, *, votes: list[int],
    model: ModelInfo = OLD, declined: bool = False, fix: str | None = None,
) -> None:  # fmt: skip
    ref = f"C1/{n}.0"
    store.record_answer(
        asked(f"Ev{n}", question),
        answered(answer, question=question, model=model, declined=declined,
                 confidence="none" if declined else "high"),
        Posted(ref, f"C1/{n}.0"),
    )  # fmt: skip
    for i, value in enumerate(votes):
        store.vote("slack", ref, f"U{i}", value, T0 + timedelta(minutes=n))
    if fix:
        store.correct("slack", place=f"C1/{n}.0", author="U9", text=fix, event_id=f"fix{n}")


@pytest.fixture
def store(tmp_path: Path) -> Records:
    store = Records(f"sqlite:///{tmp_path / 'feedback.sqlite'}")
    for n in range(20):  # twenty well-rated answers to different questions
        record(store, n, f"how do I set up feature {n}?",
               f"You turn on feature {n} in **Settings** [1].", votes=[1, 1])  # fmt: skip
    record(store, 20, "how do I set up feature 0?", "You turn on feature 0 in **Settings** [1].",
           votes=[1])  # the same example again: dropped as a duplicate  # fmt: skip
    record(store, 21, "refund for <@U024BE7LH>? mail ada@example.com", "No idea.",
           votes=[-1, -1, 1], fix="Yearly plans are refunded within 14 days [1].")  # fmt: skip
    record(store, 22, "how do I set up feature 3?", "Feature 3 is not a thing.", votes=[-1],
           model=NEW)  # voted down; an up-rated answer to the same question exists  # fmt: skip
    record(store, 23, "is there a lifetime plan?", "I can't find that in our docs.", votes=[1],
           declined=True)  # fmt: skip
    record(store, 24, "is there a lifetime plan?", "I can't find that in our docs.", votes=[],
           declined=True, model=NEW)  # fmt: skip
    return store


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sft_examples_are_rated_or_corrected_scrubbed_deduplicated_and_split_by_question(
    store, tmp_path
):
    out = tmp_path / "sft.jsonl"
    report = export(store, out, format="sft", voice=load_voice(None), sources=4,
                    source_chars=400, held_out=0.25)  # fmt: skip
    examples = read(out) + read(held_out_path(out))
    assert report.duplicates == 1
    assert report.train + report.held_out == len(examples) == 21  # 20 rated + 1 correction
    assert report.held_out > 0 and report.train > 0
    for example in examples:
        roles = [m["role"] for m in example["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert "Never guess" in example["messages"][0]["content"]  # the voice guidelines
        assert '<source id="1" title="Refunds">' in example["messages"][1]["content"]
    answers = {e["messages"][2]["content"] for e in examples}
    assert "Yearly plans are refunded within 14 days [1]." in answers  # the correction
    assert "No idea." not in answers and "Feature 3 is not a thing." not in answers
    assert "I can't find that in our docs." not in answers  # declined: not a voice example
    text = out.read_text() + held_out_path(out).read_text()
    assert "ada@example.com" not in text and "U024BE7LH" not in text
    assert "refund for @someone? mail [email]" in text
    questions = lambda path: {e["messages"][1]["content"] for e in read(path)}  # noqa: E731
    assert not questions(out) & questions(held_out_path(out))


def test_dpo_pairs_prefer_the_correction_or_the_up_rated_answer(store, tmp_path):
    out = tmp_path / "dpo.jsonl"
    export(store, out, format="dpo", voice="Be brief.", sources=2, source_chars=200, held_out=0)
    pairs = {(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in read(out)}
    assert pairs == {
        ("Yearly plans are refunded within 14 days [1].", "No idea."),
        ("You turn on feature 3 in **Settings** [1].", "Feature 3 is not a thing."),
    }
    for pair in read(out):
        assert pair["prompt"][0]["role"] == "system"
        assert pair["prompt"][0]["content"].startswith("Be brief.")
        assert pair["prompt"][-1]["role"] == "user"


def test_stats_give_helpful_rates_and_the_knowledge_gaps(store):
    report = stats(store)
    assert (report.overall.answers, report.overall.up, report.overall.down) == (25, 43, 3)
    by_model = {r.label: r for r in report.by_model}
    assert by_model["org/voice@r2"].helpful == 0.0  # one vote, down
    assert by_model["org/voice@r1"].up == 43
    (gap,) = report.most_declined
    assert (gap.question, gap.times, gap.declined) == ("is there a lifetime plan?", 2, 2)
    assert {g.question for g in report.most_voted_down} == {
        "refund for <@U024BE7LH>? mail ada@example.com",
        "how do I set up feature 3?",
    }
    assert report.by_source[0].label == "Refunds <https://help.example/refunds>"


def test_the_feedback_command_exports_and_reports(store, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTBOT_RECORDS_URL", str(store.engine.url))
    monkeypatch.chdir(tmp_path)  # no developer .env
    runner = CliRunner()
    result = runner.invoke(app, ["feedback", "export", "out/sft.jsonl", "--format", "sft"])
    assert result.exit_code == 0, result.output
    assert "sft: " in result.output and "1 duplicates dropped" in result.output
    assert (tmp_path / "out" / "sft.jsonl").stat().st_size > 0
    result = runner.invoke(app, ["feedback", "stats"])
    assert result.exit_code == 0, result.output
    assert "is there a lifetime plan?" in result.output and "org/voice@r2" in result.output
    assert "What became of the questions" in result.output and "all channels" in result.output
