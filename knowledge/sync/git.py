"""A Git source: cloned once under the data dir, then brought to the remote branch's latest
commit before each sync. The ingest that follows embeds only the files whose text changed."""

from __future__ import annotations

import shutil
from pathlib import Path

from git import GitCommandError, InvalidGitRepositoryError, Repo

from knowledge.sync.sources import Source


class GitSyncError(RuntimeError):
    """The repository could not be cloned or updated; the previous checkout is kept."""


def update_checkout(source: Source, checkout: Path) -> str:
    """Clone or update `checkout` to the source's branch; returns the commit now checked out."""
    try:
        if (checkout / ".git").is_dir():
            repo = Repo(checkout)
            branch = source.branch or repo.active_branch.name
            repo.remotes.origin.fetch(branch)
            # our own clone: take the remote's history as it is (a force-push too)
            repo.git.reset("--hard", f"origin/{branch}")
        else:
            repo = _clone(source, checkout)
        return repo.head.commit.hexsha
    except (GitCommandError, InvalidGitRepositoryError, ValueError, TypeError) as exc:
        raise GitSyncError(f"git: {_first_line(exc)}") from exc


def _clone(source: Source, checkout: Path) -> Repo:
    """Clone beside the final place, then move it there: a failed clone leaves nothing behind."""
    partial = checkout.with_name(checkout.name + ".cloning")
    shutil.rmtree(partial, ignore_errors=True)
    checkout.parent.mkdir(parents=True, exist_ok=True)
    if source.branch:
        Repo.clone_from(source.git, partial, branch=source.branch)
    else:
        Repo.clone_from(source.git, partial)
    shutil.rmtree(checkout, ignore_errors=True)
    partial.rename(checkout)
    return Repo(checkout)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip()
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
