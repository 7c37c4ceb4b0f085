"""Tuning data from a local export (`sft.jsonl` + `sft.heldout.jsonl`) or a Hub dataset repo."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.records.export import held_out_path
from knowledge.settings import Settings


class TuningDataError(ValueError):
    """The data can't be tuned on; the message says what to do."""


@dataclass
class TuningData:
    train: Any  # datasets.Dataset
    test: Any
    source: str
    revision: str


def load_local(path: Path) -> TuningData:
    from datasets import load_dataset

    held_out = held_out_path(path)
    for needed in (path, held_out):
        if not needed.is_file():
            raise TuningDataError(f"{needed} not found: run `supportbot feedback export` first.")
    digest = hashlib.sha256(path.read_bytes() + held_out.read_bytes()).hexdigest()[:12]
    if not path.read_text().strip():
        raise TuningDataError(f"{path} has no examples: there is no rated feedback to learn yet.")
    files = {"train": str(path)}
    if held_out.read_text().strip():
        files["test"] = str(held_out)
    loaded = load_dataset("json", data_files=files)
    return _with_test(loaded, source=str(path), revision=f"sha256:{digest}")


def load_hub(repo_id: str, revision: str | None, settings: Settings) -> TuningData:
    """A dataset pushed by `supportbot feedback export --push`, at a pinned commit."""
    from datasets import load_dataset
    from huggingface_hub import HfApi

    token = settings.hf_token.get_secret_value() or None
    sha = HfApi(token=token).dataset_info(repo_id, revision=revision).sha or revision or "main"
    loaded = load_dataset(repo_id, revision=sha, token=token, cache_dir=None)
    return _with_test(loaded, source=repo_id, revision=sha)


def _with_test(loaded: Any, *, source: str, revision: str) -> TuningData:
    """Small exports may have no held-out rows yet: then hold out a tenth of train (at least 1)."""
    train = loaded["train"]
    if "test" in loaded and len(loaded["test"]):
        return TuningData(train, loaded["test"], source, revision)
    if len(train) < 2:
        raise TuningDataError("One example is too few to tune and check on; gather more feedback.")
    split = train.train_test_split(test_size=max(1, len(train) // 10), seed=0)
    return TuningData(split["train"], split["test"], source, revision)


def as_prompt_completion(example: dict[str, Any]) -> dict[str, Any]:
    """SFT `messages` -> prompt (everything before the answer) + completion (the answer), so the
    loss is on the answer only: the model learns to answer, not to write prompts."""
    messages = example["messages"]
    return {"prompt": messages[:-1], "completion": messages[-1:]}
