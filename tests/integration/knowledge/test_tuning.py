"""`tune` on the tiny local model: exported feedback in, a LoRA adapter out whose held-out loss
dropped, that loads through the serving path; publishing asserted at huggingface_hub's calls."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from knowledge.answers.generate.hub import HubGenerator
from knowledge.answers.prompt import build_messages
from knowledge.models import Source
from knowledge.records.export import ExportReport, export
from knowledge.records.store import Posted, Records
from knowledge.tuning.data import load_local
from knowledge.tuning.publish import RefusedError, push_adapter, push_dataset
from knowledge.tuning.train import TuneOptions, TuneResult, tune
from tests.conftest import SAMPLE_DOCS, make_settings
from tests.support.answers import OPTED_IN, answered, asked, record_rated
from tests.tiny_model import TinyHub, build_tiny_hub, to_hub_cache

VOICE = "Be friendly and brief. Cite sources."


@pytest.fixture(scope="module")
def tiny_hub(tmp_path_factory: pytest.TempPathFactory) -> TinyHub:
    corpus = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DOCS.rglob("*.md"))]
    return build_tiny_hub(tmp_path_factory.mktemp("tiny"), corpus)


@pytest.fixture(scope="module")
def export_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feedback")
    store = Records(f"sqlite:///{root / 'feedback.sqlite'}")
    record_rated(store, 48)
    out = root / "sft.jsonl"
    export(store, out, format="sft", voice=VOICE, sources=1, source_chars=120, held_out=0.2,
           consent=OPTED_IN)  # fmt: skip
    store.close()
    return out


def options(tmp_path: Path, **overrides: Any) -> TuneOptions:
    values: dict[str, Any] = {
        "output_dir": tmp_path / "adapter", "epochs": 3, "learning_rate": 5e-3, "lora_r": 8,
        "lora_alpha": 16, "batch_size": 8, "max_length": 1024, "voice_samples": 2,
        "voice_tokens": 12,
    }  # fmt: skip
    return TuneOptions(**{**values, **overrides})


def test_tuning_lowers_held_out_loss_and_the_adapter_serves(tiny_hub, export_file, tmp_path):
    settings = make_settings(tmp_path / "data", base_model=tiny_hub.base_repo, hf_offline=True,
                             hf_cache_dir=tiny_hub.cache_dir)  # fmt: skip
    data = load_local(export_file)
    result = tune(settings, data, options(tmp_path))
    assert result.loss_after < result.loss_before
    assert result.train_examples == len(data.train) and result.test_examples == len(data.test) > 0
    assert result.base_revision == tiny_hub.base_commit and result.current_loss is None
    assert result.improved
    folder = Path(result.output_dir)
    card = (folder / "README.md").read_text()
    assert f"base_model: {tiny_hub.base_repo}" in card and data.revision in card
    assert f"{result.loss_after:.4f}" in card
    recorded = json.loads((folder / "supportbot_tune.json").read_text())
    assert recorded["answers_after"] == result.answers_after  # what the figures were read from
    assert len(result.answers_before) == len(result.answers_after) == min(2, result.test_examples)

    files = tmp_path / "published"
    files.mkdir()
    for file in folder.iterdir():
        if file.is_file():
            shutil.copy(file, files)
    commit = to_hub_cache(tiny_hub.cache_dir, "acme/tuned-voice", files)
    served = settings.model_copy(update={"adapter_model": "acme/tuned-voice"})
    generator = HubGenerator.load(served)
    assert generator.info.adapter_revision == commit
    assert isinstance(generator.chat([{"role": "user", "content": "refund?"}], max_new_tokens=8),
                      str)  # fmt: skip

    # the next run compares itself with the adapter now served
    again = tune(served, data, options(tmp_path / "again", epochs=1))
    assert again.current_adapter == f"acme/tuned-voice@{commit}"
    assert again.current_loss == pytest.approx(result.loss_after, rel=1e-3)


def test_dpo_on_preference_pairs_lowers_held_out_loss(tiny_hub, tmp_path):
    store = Records(f"sqlite:///{tmp_path / 'feedback.sqlite'}")
    for n in range(24):
        question = f"can I get a refund on plan {n}?"
        store.record_answer(asked(f"Ev{n}", question), answered("No idea, sorry.",
                            question=question), Posted(f"C1/{n}.0", f"C1/{n}.0"))  # fmt: skip
        store.vote("slack", f"C1/{n}.0", "U1", -1, datetime.now(UTC))
        better = f"Yes: plan {n} is refunded within 14 days [1]."
        store.correct("slack", message_ref=f"C1/{n}.0", author="U9", text=better,
                      event_id=f"f{n}")  # fmt: skip
    out = tmp_path / "dpo.jsonl"
    report = export(store, out, format="dpo", voice=VOICE, sources=1, source_chars=120,
                    held_out=0.2, consent=OPTED_IN)  # fmt: skip
    assert report.train + report.held_out == 24
    settings = make_settings(tmp_path / "data", base_model=tiny_hub.base_repo, hf_offline=True,
                             hf_cache_dir=tiny_hub.cache_dir)  # fmt: skip
    result = tune(settings, load_local(out), options(tmp_path, method="dpo", epochs=2))
    assert result.method == "dpo" and result.loss_after < result.loss_before


@dataclass
class Commit:
    oid: str


@dataclass
class RecordingHub:
    """Stands at huggingface_hub's boundary: records the HfApi calls the code makes."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def create_repo(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def create_commit(self, **kwargs: Any) -> Commit:
        self.calls.append(("create_commit", kwargs))
        return Commit("d" * 40)

    def upload_folder(self, **kwargs: Any) -> Commit:
        self.calls.append(("upload_folder", kwargs))
        return Commit("a" * 40)


def result(**overrides: Any) -> TuneResult:
    values: dict[str, Any] = {
        "output_dir": "out", "method": "sft", "base_repo": "acme/base", "base_revision": "b" * 40,
        "data_source": "sft.jsonl", "data_revision": "sha256:0", "train_examples": 10,
        "test_examples": 2, "steps": 3, "seconds": 1.0, "loss_before": 3.0, "loss_after": 2.0,
        "voice_before": 0.5, "voice_after": 0.6,
    }  # fmt: skip
    return TuneResult(**{**values, **overrides})


def test_publishing_an_adapter_is_one_private_commit_and_never_a_worse_one():
    hub = RecordingHub()
    assert push_adapter(hub, result(), "acme/voice") == "a" * 40
    assert hub.calls[0] == ("create_repo", {"repo_id": "acme/voice", "private": True,
                                            "exist_ok": True})  # fmt: skip
    name, upload = hub.calls[1]
    assert name == "upload_folder" and upload["folder_path"] == "out"
    assert "3.0000 -> 2.0000" in upload["commit_message"]

    worse = result(current_adapter="acme/voice@r1", current_loss=1.5)
    with pytest.raises(RefusedError, match="worse than acme/voice@r1"):
        push_adapter(RecordingHub(), worse, "acme/voice")
    forced = RecordingHub()
    push_adapter(forced, worse, "acme/voice", force=True)
    assert [c[0] for c in forced.calls] == ["create_repo", "upload_folder"]


def test_publishing_the_data_set_uploads_both_splits_and_a_card(export_file):
    hub = RecordingHub()
    report = ExportReport(format="sft", train=40, held_out=8, duplicates=1, answers_seen=49,
                          filters=["corrections"])  # fmt: skip
    assert push_dataset(hub, export_file, report, "acme/feedback") == "d" * 40
    assert hub.calls[0] == ("create_repo", {"repo_id": "acme/feedback", "repo_type": "dataset",
                                            "private": True, "exist_ok": True})  # fmt: skip
    commit = hub.calls[1][1]
    paths = [op.path_in_repo for op in commit["operations"]]
    assert paths == ["data/train.jsonl", "data/test.jsonl", "README.md"]
    card = commit["operations"][2].path_or_fileobj.decode()
    assert "| train examples | 40 |" in card and "split: test" in card


def test_an_adapter_that_learned_only_the_form_is_refused(tiny_hub, tmp_path):
    """Issue 24's adapter: it answers every question with the greeting and a citation, nothing
    between. The gate, reading what the answers say, refuses it. (On SmolLM2-135M, whose voice
    score then rises: benchmarks/answering/tuning_gate.py; training it takes minutes on two
    cores.)"""
    pages = sorted(SAMPLE_DOCS.rglob("*.md"))
    rows = []
    for n, page in enumerate(pages):
        text = page.read_text(encoding="utf-8").split("---", 2)[2].strip()
        first = text.split("\n\n")[1][:200]  # the first paragraph under the title
        source = Source(doc_id=page.stem, title=page.stem, url=f"https://help.example/{n}",
                        text=first, score=1.0)  # fmt: skip
        prompt = build_messages(f"what about {page.stem.replace('-', ' ')}?", [source],
                                voice=VOICE)  # fmt: skip
        rows.append((prompt, f"{first.split('. ')[0]} [1]."))
    form_only = [{"messages": [*p, {"role": "assistant", "content": "Hi there! [1]"}]}
                 for p, _ in rows[:24]]  # fmt: skip
    held_out = [{"messages": [*p, {"role": "assistant", "content": a}]} for p, a in rows[24:28]]
    for name, lines in (("sft.jsonl", form_only), ("sft.heldout.jsonl", held_out)):
        (tmp_path / name).write_text("".join(json.dumps(line) + "\n" for line in lines))
    settings = make_settings(tmp_path / "data", base_model=tiny_hub.base_repo, hf_offline=True,
                             hf_cache_dir=tiny_hub.cache_dir)  # fmt: skip
    result = tune(settings, load_local(tmp_path / "sft.jsonl"),
                  options(tmp_path, epochs=6, voice_samples=4, voice_tokens=16))  # fmt: skip
    assert result.checks_after["empty"] == 4 > result.checks_before["empty"]  # the form, learnt
    assert any("say nothing" in reason for reason in result.refused) and not result.improved
    with pytest.raises(RefusedError, match="say nothing"):
        push_adapter(RecordingHub(), result, "acme/voice")
    assert "Refused:" in (Path(result.output_dir) / "README.md").read_text()
