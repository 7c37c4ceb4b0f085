"""Publishing to the Hugging Face Hub: the tuning data set (private, with a card) and a tuned
adapter (a new commit = a new revision for the worker to serve). Every call is huggingface_hub's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knowledge.records.export import ExportReport, held_out_path
from knowledge.tuning.train import TuneResult


class RefusedError(RuntimeError):
    """Publishing would make things worse; `--force` overrides."""


def dataset_card(report: ExportReport, repo_id: str) -> str:
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        pretty_name=f"supportbot feedback ({report.format})",
        tags=["supportbot", report.format, "feedback"],
        configs=[{"config_name": "default", "data_files": [
            {"split": "train", "path": "data/train.jsonl"},
            {"split": "test", "path": "data/test.jsonl"},
        ]}],
    )  # fmt: skip
    span = (
        f"{report.first:%Y-%m-%d} to {report.last:%Y-%m-%d}"
        if report.first and report.last else "no answers yet"
    )  # fmt: skip
    filters = "\n".join(f"- {f}" for f in report.filters)
    return f"""---
{data.to_yaml()}
---

# {repo_id}

Tuning data exported by supportbot from rated and corrected support answers ({report.format}).

| | |
| --- | --- |
| train examples | {report.train} |
| held-out examples | {report.held_out} |
| duplicates dropped | {report.duplicates} |
| answers considered | {report.answers_seen} |
| answered | {span} |

Filters:
{filters}

Personal data (emails, phone numbers, user mentions and ids) was replaced by placeholders. The
split is by question: a question is either in train or held out, never both.
"""


def push_dataset(api: Any, path: Path, report: ExportReport, repo_id: str) -> str:
    """Upload train, held-out and the card as one commit to a private dataset repo; its sha."""
    from huggingface_hub import CommitOperationAdd

    api.create_repo(repo_id, repo_type="dataset", private=True, exist_ok=True)
    commit = api.create_commit(
        repo_id=repo_id,
        repo_type="dataset",
        operations=[
            CommitOperationAdd("data/train.jsonl", str(path)),
            CommitOperationAdd("data/test.jsonl", str(held_out_path(path))),
            CommitOperationAdd("README.md", dataset_card(report, repo_id).encode()),
        ],
        commit_message=f"supportbot export: {report.summary()}",
    )
    return str(commit.oid)


def push_adapter(api: Any, result: TuneResult, repo_id: str, *, force: bool = False) -> str:
    """Upload the adapter folder as a new commit (private repo); its sha, the revision to serve.
    Refuses when the held-out loss is worse than the adapter served now, unless forced."""
    if result.refused and not force:
        raise RefusedError(
            f"Not published: {'; '.join(result.refused)}. Use --force to publish anyway."
        )
    if not result.improved and not force:
        reference = result.current_adapter or "the base model"
        raise RefusedError(
            f"Not published: held-out loss {result.loss_after:.4f} is worse than {reference}'s "
            f"{result.current_loss if result.current_loss is not None else result.loss_before:.4f}."
            " Use --force to publish anyway."
        )
    api.create_repo(repo_id, private=True, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        folder_path=result.output_dir,
        ignore_patterns=["checkpoints/*"],
        commit_message=(
            f"supportbot tune ({result.method}): held-out loss {result.loss_before:.4f} -> "
            f"{result.loss_after:.4f}, data {result.data_revision}"
        ),
    )
    return str(commit.oid)
