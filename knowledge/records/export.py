"""Tuning data from feedback: SFT conversations and DPO preference pairs, deduplicated, scrubbed,
and split so that a question (and its rewordings' exact copies) never lands in both splits.

Only what a team may train on is taken (`Consent`): questions asked in the workspaces and
channels that opted in (`tuning: true`), never one whose words were removed. Each example is
rebuilt with the prompt the model saw (voice, rules, the answer's own sources, the thread), but
the thread is rebuilt from the records, the asker's own earlier questions in it and the answers
they got, never other people's messages.
- SFT: a correction (the better answer a teammate gave), or an answer people rated up (net > 0).
- DPO: prompt, chosen = the correction or an up-rated answer to the same question, rejected =
  the answer rated down.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from knowledge.answers.prompt import build_messages
from knowledge.models import Source, Turn
from knowledge.records.scrub import scrub
from knowledge.records.store import Records
from knowledge.records.tables import StoredAnswer

Format = Literal["sft", "dpo"]


@dataclass(frozen=True)
class Consent:
    """Where tuning data may come from: the workspaces ("slack:T0123", "discord:GUILD") and
    channels ("slack:C0456") that opted in. Nothing else: the platforms' terms restrict
    training on what their APIs deliver (README, "What is kept, and trained on")."""

    workspaces: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    def allows(self, platform: str, workspace: str, channel: str) -> bool:
        return (
            f"{platform}:{workspace}" in self.workspaces or f"{platform}:{channel}" in self.channels
        )

    def describe(self) -> str:
        opted = sorted(self.workspaces | self.channels)
        return "opted in: " + (", ".join(opted) if opted else "no chat workspace or channel")


@dataclass
class Rated:
    """One stored answer with what people said about it, ready to turn into examples."""

    question: str
    prompt: list[dict[str, str]]
    answer: str
    score: int
    declined: bool
    correction: str | None
    answered_at: datetime


@dataclass
class ExportReport:
    format: Format
    train: int = 0
    held_out: int = 0
    duplicates: int = 0
    answers_seen: int = 0
    first: datetime | None = None
    last: datetime | None = None
    filters: list[str] = field(default_factory=list)

    def summary(self) -> str:
        span = f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}" if self.first and self.last else "-"
        return (
            f"{self.format}: {self.train} train, {self.held_out} held out, "
            f"{self.duplicates} duplicates dropped, from {self.answers_seen} answers ({span})"
        )


def held_out_path(path: Path) -> Path:
    """`sft.jsonl` -> `sft.heldout.jsonl`: the evaluation split beside the training file."""
    return path.with_name(f"{path.stem}.heldout{path.suffix}")


def rated_answers(
    store: Records, *, voice: str, sources: int, source_chars: int, consent: Consent
) -> Iterator[Rated]:
    """Every posted answer one may train on, with its net vote and latest correction, oldest
    first."""
    with store.session() as session:
        rows = session.scalars(
            select(StoredAnswer)
            .where(StoredAnswer.delivered_at.is_not(None))  # answers people saw
            .options(
                selectinload(StoredAnswer.question),
                selectinload(StoredAnswer.votes),
                selectinload(StoredAnswer.corrections),
            )
            .order_by(StoredAnswer.answered_at, StoredAnswer.id)
        ).all()
    taken = [row for row in rows if row.question.redacted_at is None and consent.allows(
        row.question.platform, row.question.workspace, row.question.channel)]  # fmt: skip
    earlier: dict[tuple[str, str, str, str], list[Turn]] = {}
    for row in taken:
        asked = row.question
        thread = (asked.platform, asked.channel, asked.thread, asked.user)
        history = list(earlier.get(thread, [])) if asked.thread else []
        if asked.thread:  # what the asker said in this thread, and what they were answered
            earlier[thread] = [*history, Turn(role="user", content=asked.text),
                               Turn(role="assistant", content=row.text)]  # fmt: skip
        shown = [Source.model_validate(s) for s in row.retrieved[:sources]]
        prompt = build_messages(
            row.standalone_question or row.question.text, shown, voice=voice, history=history,
            max_source_chars=source_chars,
        )  # fmt: skip
        latest = max(row.corrections, key=lambda c: (c.at, c.id), default=None)
        yield Rated(
            question=row.question.text,
            prompt=[{"role": m["role"], "content": scrub(m["content"])} for m in prompt],
            answer=scrub(row.text),
            score=sum(v.value for v in row.votes),
            declined=row.declined,
            correction=scrub(latest.text) if latest else None,
            answered_at=row.answered_at,
        )


def sft_examples(rated: Iterable[Rated]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in rated:
        if item.correction:
            target = item.correction
        elif item.score > 0 and not item.declined:
            target = item.answer
        else:
            continue
        messages = [*item.prompt, {"role": "assistant", "content": target}]
        yield item.question, {"messages": messages}


def dpo_examples(rated: Iterable[Rated]) -> Iterator[tuple[str, dict[str, Any]]]:
    items = list(rated)
    best: dict[str, str] = {}  # question -> an answer people rated up
    for item in items:
        if item.score > 0 and not item.declined:
            best.setdefault(_normal(item.question), item.answer)
    for item in items:
        if item.score >= 0:
            continue
        chosen = item.correction or best.get(_normal(item.question))
        if not chosen or chosen == item.answer:
            continue
        yield (
            item.question,
            {
                "prompt": item.prompt,
                "chosen": [{"role": "assistant", "content": chosen}],
                "rejected": [{"role": "assistant", "content": item.answer}],
            },
        )


def export(
    store: Records, path: Path, *, format: Format, voice: str, sources: int,
    source_chars: int, consent: Consent, held_out: float = 0.1,
) -> ExportReport:  # fmt: skip
    """Write `path` (train) and its `.heldout` sibling; the split is by question."""
    rated = list(rated_answers(store, voice=voice, sources=sources, source_chars=source_chars,
                               consent=consent))  # fmt: skip
    report = ExportReport(format=format, answers_seen=len(rated))
    if rated:
        report.first, report.last = rated[0].answered_at, rated[-1].answered_at
    report.filters = [consent.describe()] + (
        ["corrections", "answers with net votes > 0, not declined"] if format == "sft"
        else ["answers with net votes < 0 paired with a correction or an up-rated answer"]
    )  # fmt: skip
    examples = sft_examples(rated) if format == "sft" else dpo_examples(rated)
    seen: set[str] = set()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("w", encoding="utf-8") as train,
        held_out_path(path).open("w", encoding="utf-8") as evaluation,
    ):
        for question, example in examples:
            line = json.dumps(example, ensure_ascii=False, sort_keys=True)
            digest = hashlib.sha256(line.encode()).hexdigest()
            if digest in seen:
                report.duplicates += 1
                continue
            seen.add(digest)
            if _bucket(question) < held_out:
                evaluation.write(line + "\n")
                report.held_out += 1
            else:
                train.write(line + "\n")
                report.train += 1
    return report


def _normal(question: str) -> str:
    return " ".join(question.lower().split())


def _bucket(question: str) -> float:
    """A stable number in [0, 1) per question: the same question always falls in one split."""
    digest = hashlib.sha256(_normal(question).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
