"""Plain, JSON-serialisable data that crosses module and process boundaries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field


class Source(BaseModel):
    """One retrieved page, represented by its best-matching chunk."""

    doc_id: str
    title: str
    url: str = Field(description="Citable link, with the section anchor when there is one.")
    text: str = Field(description="The chunk's text, as shown to the model and the reader.")
    score: float = Field(description="Ranking score (higher is better; scale depends on mode).")
    similarity: float | None = Field(
        None, description="Cosine similarity of the best chunk to the question (dense signal)."
    )
    sentence_similarity: float | None = Field(
        None, description="Cosine similarity of the page's best sentence (reranked pages only)."
    )
    section: str = ""
    collection: str = ""
    path: str = Field("", description="Path of the source file relative to its ingest root.")


class FileProblem(BaseModel):
    """Why one input file was skipped; the run goes on without it."""

    path: str
    reason: str


ChangeKind = Literal["added", "changed", "removed"]


class PageChange(BaseModel):
    """One page an ingest added, changed or removed, as a person would name and open it."""

    kind: ChangeKind
    doc_id: str
    title: str = ""
    url: str = ""


class IngestReport(BaseModel):
    """What an ingest run did, for the summary line, a sync's notice and tests."""

    documents: int = 0
    unchanged: int = 0
    chunks: int = 0
    changes: list[PageChange] = Field(default_factory=list)
    problems: list[FileProblem] = Field(default_factory=list)
    flagged: list[FileProblem] = Field(
        default_factory=list,
        description="Files ingested with something of theirs left out (text addressed to the "
        "bot, a url that is no link), and what.",
    )
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def added(self) -> int:
        return sum(change.kind == "added" for change in self.changes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def updated(self) -> int:
        return sum(change.kind == "changed" for change in self.changes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def deleted(self) -> int:
        return sum(change.kind == "removed" for change in self.changes)

    @property
    def ingested(self) -> int:
        """Documents that are in the index after this run (new, changed or already there)."""
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        """One line a person reads at the end of a run."""
        return (
            f"{plural(self.documents, 'document')}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted, {len(self.problems)} skipped"
            f"{f', {len(self.flagged)} flagged' if self.flagged else ''}; "
            f"{plural(self.chunks, 'chunk')} embedded in {self.seconds:.1f} s"
        )


class Affected(BaseModel):
    """A recent answer that cited a page a sync changed or removed (no words: the notice goes
    to another channel than the question's)."""

    key: str = Field(description="The question's key.")
    channel: str = Field(description="platform:channel where it was asked.")
    asked_again: bool = Field(False, description="Its channel opted in: it is answered again.")


class SyncReport(BaseModel):
    """What one sync of a source did: what it fetched, and what changed in the index."""

    source: str
    kind: str = Field(description="sitemap, git or folder")
    started_at: datetime
    seconds: float = 0.0
    listed: int = Field(0, description="Pages the sitemap lists (a site source).")
    fetched: int = Field(0, description="Pages downloaded (a site source).")
    skipped: int = Field(0, description="Pages not downloaded: unchanged per lastmod or a 304.")
    commit: str = Field("", description="The commit synced (a Git source).")
    ingest: IngestReport = Field(default_factory=IngestReport)
    problems: list[FileProblem] = Field(
        default_factory=list, description="Pages that kept their previous version, and why."
    )
    error: str = Field("", description="Why the sync did nothing, if it did nothing.")
    affected: list[Affected] = Field(
        default_factory=list, description="Recent answers that cited a changed or removed page."
    )

    def summary(self) -> str:
        """One line for a person, and for the channel told about changes."""
        if self.error:
            return f"{self.source}: not synced: {self.error}"
        fetched = (
            f"{self.fetched} of {self.listed} pages fetched, {self.skipped} unchanged; "
            if self.kind == "sitemap"
            else f"at {self.commit[:10]}; "
            if self.commit
            else ""
        )
        flagged = f", {len(self.ingest.flagged)} flagged" if self.ingest.flagged else ""
        return (
            f"{self.source}: {fetched}{self.ingest.added} added, {self.ingest.updated} changed, "
            f"{self.ingest.deleted} removed, {len(self.problems) + len(self.ingest.problems)} "
            f"problems{flagged}, in {self.seconds:.1f} s"
        )


#: An ingest's progress report: `progress(documents done, documents in all, chunks embedded)`.
Progress = Callable[[int, int, int], None]


def plural(count: int, noun: str) -> str:
    """`1 document`, `2 documents`, `1,000 chunks`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class Citation(BaseModel):
    """A numbered source link shown under an answer."""

    number: int
    title: str
    url: str


class Turn(BaseModel):
    """One earlier message of a thread, for follow-up questions."""

    role: Literal["user", "assistant"]
    content: str


class ModelInfo(BaseModel):
    """Which model wrote an answer: feedback is tied to it, tuning compares against it."""

    backend: str
    repo: str = ""
    revision: str = ""
    adapter_repo: str = ""
    adapter_revision: str = ""


class Timings(BaseModel):
    """Where an answer's time went, in milliseconds."""

    retrieve_ms: float = 0.0
    queued_ms: float = Field(0.0, description="Waiting for a generation worker (workers only).")
    generate_ms: float = 0.0
    total_ms: float = 0.0


class Evidence(BaseModel):
    """What retrieval found for one question, as the signals the decline decision reads."""

    similarity: float = Field(0.0, description="Cosine similarity of the best page.")
    sentence: float = Field(0.0, description="Cosine similarity of the best single sentence.")
    coverage: float = Field(0.0, description="Share of the question's term weight on that page.")
    known: float = Field(0.0, description="Share of the question's term weight the docs use.")
    injection: bool = Field(False, description="The message tries to override the instructions.")


class RemovedSentence(BaseModel):
    """A sentence of the model's answer that was not posted, and why (see
    knowledge.answers.grounding)."""

    sentence: str
    why: str


class Grounding(BaseModel):
    """What the check of a model's answer against its sources did to it."""

    written: str = Field("", description="The model's answer as it wrote it, before the check.")
    sentences: int = Field(0, description="Sentences the model wrote.")
    removed: list[RemovedSentence] = Field(default_factory=list)
    recited: int = Field(
        0, description="Sentences moved from a source that doesn't hold them to one that does."
    )
    quoted_because: str = Field(
        "", description="Why the docs were quoted instead of the model's answer ('' if not)."
    )


class Answer(BaseModel):
    """What the bot says, with everything needed to show, audit and learn from it."""

    question: str
    standalone_question: str = Field(description="The question used for retrieval.")
    text: str
    note: str = Field(
        "", description="Told before the answer: which part of a long message was answered."
    )
    citations: list[Citation] = Field(default_factory=list)
    confidence: Literal["high", "low", "none"]
    declined: bool = False
    handed_off: bool = Field(
        False, description="Declined below the channel's bar: a teammate was asked to help."
    )
    answerability: float | None = Field(
        None,
        description="0..1: how likely the docs hold the answer (see knowledge.answers.decline).",
    )
    evidence: Evidence | None = None
    retrieved: list[Source] = Field(default_factory=list)
    model: ModelInfo
    timings: Timings = Field(default_factory=Timings)
    grounding: Grounding | None = Field(
        None, description="For a model's answer: the sentences left out, or why it was quoted."
    )


class Draft(BaseModel):
    """A question retrieved for and ready for the model: everything the generation stage needs
    (which may run in another process, see `workers.tasks.generate`), and nothing of the index."""

    question: str
    standalone_question: str
    messages: list[dict[str, str]] = Field(description="The prompt, as chat messages.")
    max_new_tokens: int
    sources: list[Source]
    answerability: float
    evidence: Evidence
    decline_text: str = Field(description="What to say if the model finds no answer there.")
    note: str = Field("", description="Told before the answer (see `Answer.note`).")
    retrieve_ms: float = 0.0
    prepared_at: float = Field(description="Unix time the draft was made (for the queue wait).")


class Question(BaseModel):
    """A question as it arrives from any chat platform, in neutral terms."""

    platform: str = Field(description="Where it was asked, e.g. slack, discord, cli.")
    workspace: str = ""
    channel: str = ""
    thread: str = ""
    user: str = ""
    text: str
    event_id: str = Field(description="The platform's id for this event; retries reuse it.")
    history: list[Turn] = Field(default_factory=list)
    collections: list[str] | None = None
    handoff_contact: str | None = None
    answer_bar: float | None = Field(
        None,
        description="A channel the bot answers by itself: below this answerability it asks a "
        "teammate instead of answering (a bot that guesses in a busy channel gets muted).",
    )
    refresh: bool = Field(
        False, description="Its channel wants it answered again when the pages it cited change."
    )
    supersedes: str = Field(
        "", description="The key of the question this one asks again, after its docs changed."
    )

    @property
    def key(self) -> str:
        """Idempotency key: the same event, retried or redelivered, has the same key."""
        return f"{self.platform}:{self.workspace}:{self.event_id}"


class Feedback(BaseModel):
    """A reaction, a reason or a correction on one of the bot's posted answers, in neutral terms.

    Votes and reasons point at the answer's message (`message_ref`, "channel/message"); a
    correction written as a thread reply points at the thread (`place`), meaning its latest answer.
    `escalate` (someone asked for a person) and `resolve` (the question is closed) point either way.
    """

    platform: str
    kind: Literal["vote", "unvote", "reason", "correction", "escalate", "resolve"]
    user: str
    message_ref: str = ""
    place: str = ""
    value: int = Field(0, description="+1 or -1 for votes; the vote taken back for unvotes.")
    text: str = Field("", description="The correction or the reason.")
    event_id: str = Field("", description="The platform's id for the event (idempotency).")
    at: datetime = Field(description="When it happened on the platform: later events win.")
