"""From stored feedback to tuning data and the stats report, through the public functions and
the `supportbot feedback` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.commands import app
from knowledge.answers.prompt import load_voice
from knowledge.models import ModelInfo
from knowledge.records.export import Consent, export, held_out_path
from knowledge.records.stats import stats
from knowledge.records.store import Posted, Records
from tests.support.answers import OPTED_IN, answered, asked

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
                    source_chars=400, held_out=0.25, consent=OPTED_IN)  # fmt: skip
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
    export(store, out, format="dpo", voice="Be brief.", sources=2, source_chars=200, held_out=0,
           consent=OPTED_IN)  # fmt: skip
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
    assert "sft: 0 train, 0 held out" in result.output  # nobody opted in: nothing is taken
    monkeypatch.setenv("SUPPORTBOT_SLACK_CHANNELS", '{"C1": {"tuning": true}}')  # now C1 did
    result = runner.invoke(app, ["feedback", "export", "out/sft.jsonl", "--format", "sft"])
    assert result.exit_code == 0, result.output
    assert "sft: " in result.output and "1 duplicates dropped" in result.output
    assert (tmp_path / "out" / "sft.jsonl").stat().st_size > 0
    result = runner.invoke(app, ["feedback", "stats"])
    assert result.exit_code == 0, result.output
    assert "is there a lifetime plan?" in result.output and "org/voice@r2" in result.output
    assert "What became of the questions" in result.output and "all channels" in result.output


def test_a_thread_is_exported_as_the_askers_own_words_never_other_peoples(tmp_path):
    store = Records(f"sqlite:///{tmp_path / 'records.sqlite'}")
    first = asked("EvT1", "can i get a refund?", thread="C1/100.0", user="U1")
    store.record_answer(
        first, answered("Yearly plans are refunded [1]."), Posted("C1/101.0", "C1/100.0")
    )
    someone_else = [
        {"role": "user", "content": "my card is 4111 and I hate this"}
    ]  # U2, in the thread
    follow_up = asked("EvT2", "and monthly ones?", thread="C1/100.0", user="U1",
                      history=[{"role": "user", "content": "can i get a refund?"},
                               {"role": "assistant", "content": "Yearly plans are refunded [1]."},
                               *someone_else])  # fmt: skip
    store.record_answer(
        follow_up, answered("Monthly plans are not [1]."), Posted("C1/103.0", "C1/100.0")
    )
    for ref in ("C1/101.0", "C1/103.0"):
        store.vote("slack", ref, "U1", 1, T0)
    out = tmp_path / "sft.jsonl"
    export(store, out, format="sft", voice="Be brief.", sources=1, source_chars=200,
           held_out=0, consent=Consent(channels=frozenset({"slack:C1"})))  # fmt: skip
    later = next(
        e["messages"] for e in read(out) if e["messages"][-1]["content"].startswith("Monthly")
    )
    said = [m["content"] for m in later[1:-1]]
    assert said[:2] == ["can i get a refund?", "Yearly plans are refunded [1]."]  # the asker's own
    assert "4111" not in out.read_text()  # another person's message in the thread never goes
    export(store, out, format="sft", voice="Be brief.", sources=1, source_chars=200,
           held_out=0, consent=Consent(channels=frozenset({"slack:C2"})))  # fmt: skip
    assert read(out) == []  # another channel opted in, not this one


def test_forget_erases_a_person_and_writes_the_exports_again_without_them(
    store, tmp_path, monkeypatch
):
    monkeypatch.setenv("SUPPORTBOT_RECORDS_URL", str(store.engine.url))
    monkeypatch.setenv("SUPPORTBOT_TUNING_WORKSPACES", "slack:T1")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["feedback", "export", "sft.jsonl"]).exit_code == 0
    before = (tmp_path / "sft.jsonl").read_text() + (tmp_path / "sft.heldout.jsonl").read_text()
    assert "Yearly plans are refunded within 14 days [1]." in before  # U9's correction

    result = runner.invoke(app, ["forget", "--user", "U9"])
    assert result.exit_code == 0, result.output
    assert "1 corrections" in result.output and "written again" in result.output
    after = (tmp_path / "sft.jsonl").read_text() + (tmp_path / "sft.heldout.jsonl").read_text()
    assert "Yearly plans are refunded within 14 days [1]." not in after
    assert after.count("\n") == before.count("\n") - 1  # the rest is as it was

    result = runner.invoke(app, ["forget", "--user", "U1"])  # asked every question here
    assert result.exit_code == 0, result.output
    assert "25 questions" in result.output
    assert (tmp_path / "sft.jsonl").read_text() == ""  # nothing of theirs is left to train on
    report = stats(store)
    assert report.overall.answers == 25 and report.overall.up == 43 - 20  # U1's votes went
    with store.session() as session:
        from knowledge.records.tables import AskedQuestion

        assert {(q.text, q.user) for q in session.query(AskedQuestion)} == {("", "")}
