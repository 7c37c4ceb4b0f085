"""A question (plus its thread) in, an `Answer` out: retrieve, decide, prompt, generate, check."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from knowledge.answers.citations import check_citations
from knowledge.answers.decline import (
    answerability,
    decline_text,
    gather_evidence,
    should_decline,
    unsure_text,
)
from knowledge.answers.generate.base import Generator, OnText
from knowledge.answers.generate.extractive import quote_sources
from knowledge.answers.grounding import Similarity, ground, split_sentences
from knowledge.answers.prompt import NOT_IN_DOCS, build_messages, condense_messages, load_voice
from knowledge.index.embedding import closeness
from knowledge.index.injection import without_instructions
from knowledge.models import (
    Answer,
    Draft,
    Grounding,
    ModelInfo,
    RemovedSentence,
    Source,
    Timings,
    Turn,
)
from knowledge.search.base import KnowledgeBase
from knowledge.search.focus import focus
from knowledge.search.retrieve import clean_question
from knowledge.settings import Settings

logger = logging.getLogger(__name__)
_MAX_CONDENSED_CHARS = 400
QUOTED_BECAUSE = "no sentence of the model's answer was supported by a source it cites"
#: The bot cites a model's uncited sentence only to one of the first two sources, the pages the
#: question is closest to (a quote uses the same two). On the bench, SmolLM2's answers cited a
#: right page for 80% (coda) and 57% (obsidian) of answerable questions when any of the four
#: sources could be cited; 87% and 66% with two (measured when a sentence could take its words
#: from anywhere on a page, so more of them passed).
PLACEABLE = 2


def fallback_standalone(question: str, history: Sequence[Turn]) -> str:
    """Without a model to rewrite it, a follow-up is searched together with the last user turn."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    return f"{previous} {question}".strip()


class Answerer:
    """Holds the knowledge base and the voice (and, in one process, the generator); answers many
    questions. A worker splits the work: `prepare` runs where the index is, `write` where the
    model is."""

    def __init__(self, kb: KnowledgeBase, generator: Generator | None, settings: Settings) -> None:
        self.kb = kb
        self.generator = generator
        self.settings = settings
        self.voice = load_voice(settings.voice_file)
        self.similarity = closeness(kb.embed)

    def answer(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        collections: Sequence[str] | None = None,
        handoff_contact: str | None = None,
    ) -> Answer:
        """Answer from the docs, or decline and name who to ask. Raises on an empty question."""
        if self.generator is None:
            raise RuntimeError("This Answerer only prepares drafts: it was given no generator.")
        prepared = self.prepare(question, history=history, collections=collections,
                                handoff_contact=handoff_contact)  # fmt: skip
        if isinstance(prepared, Answer):
            return prepared
        return write(prepared, self.generator, similarity=self.similarity)

    def prepare(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        collections: Sequence[str] | None = None,
        handoff_contact: str | None = None,
        answer_bar: float | None = None,
    ) -> Answer | Draft:
        """Retrieve and decide: a decline (an `Answer`) when the docs don't hold the answer,
        else a `Draft` for the model. Raises on an empty question."""
        started = time.perf_counter()
        focused = focus(question)
        text = clean_question(focused.text)
        standalone = self.standalone(text, history)
        sources = as_data(
            self.kb.search(standalone, top_k=self.settings.answer_sources, collections=collections)
        )
        evidence = gather_evidence(text, standalone, sources, self.kb.vocabulary())
        retrieve_ms = (time.perf_counter() - started) * 1000
        messages = build_messages(text, sources, voice=self.voice, history=history,
                                  max_source_chars=self.settings.max_source_chars)  # fmt: skip
        draft = Draft(
            question=text,
            standalone_question=standalone,
            messages=messages,
            max_new_tokens=self.settings.max_new_tokens,
            sources=sources,
            answerability=round(answerability(evidence), 4),
            evidence=evidence,
            decline_text=decline_text(handoff_contact or self.settings.handoff_contact),
            note=focused.note,
            retrieve_ms=retrieve_ms,
            prepared_at=time.time(),
        )
        model = self.generator.info if self.generator else ModelInfo(backend="none")
        timings = Timings(retrieve_ms=retrieve_ms, total_ms=retrieve_ms)
        bar = max(self.settings.decline_threshold, answer_bar or 0.0)
        if answer_bar is not None and draft.answerability < bar and not evidence.injection:
            # a channel answered without a mention: a person is asked rather than a guess made
            contact = handoff_contact or self.settings.handoff_contact
            unsure = draft.model_copy(update={"decline_text": unsure_text(contact)})
            return declined(unsure, model, timings).model_copy(update={"handed_off": True})
        if should_decline(evidence, self.settings.decline_threshold):
            return declined(draft, model, timings)
        return draft

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        """The follow-up rewritten to stand alone, for retrieval: by the model when this process
        has one, else together with the thread's last question."""
        if not history:
            return question
        if self.generator is not None:
            rewritten = self.generator.chat(condense_messages(question, history), max_new_tokens=64)
            if rewritten and len(rewritten) <= _MAX_CONDENSED_CHARS:
                return clean_question(rewritten)
        return clean_question(fallback_standalone(question, history))


def as_data(sources: Sequence[Source]) -> list[Source]:
    """The sources without any passage that gives the bot orders: neither the model nor a quote
    ever sees one (the ingest leaves them out too; this covers pages indexed before it did)."""
    cleaned = []
    for source in sources:
        text, left_out = without_instructions(source.text)
        if left_out:
            logger.warning("Left %d passage(s) addressed to the bot out of %s", len(left_out),
                           source.doc_id)  # fmt: skip
            source = source.model_copy(update={"text": text})
        cleaned.append(source)
    return cleaned


def write(
    draft: Draft,
    generator: Generator,
    on_text: OnText | None = None,
    similarity: Similarity | None = None,
) -> Answer:
    """The model's answer to a draft, each sentence checked against the sources it cites
    (`knowledge.answers.grounding`, with `similarity` from the embedding model where one is loaded);
    quoted from the sources when the backend can't write or nothing it wrote holds up; a decline
    when the model finds no answer in them. `on_text` is told the answer so far as the model
    writes it: only whole sentences that passed the check."""
    started = time.perf_counter()
    queued_ms = max(0.0, (time.time() - draft.prepared_at) * 1000)
    texts = [source.text for source in draft.sources]
    shown = None
    if on_text is not None:
        checked_so_far, shown_so_far = [""], [""]

        def shown(text: str) -> None:
            finished = whole_sentences(text)
            if not showable(text) or finished == checked_so_far[0]:
                return  # checked once per finished sentence, not once per token
            checked_so_far[0] = finished
            checked = ground(finished, texts, similarity, PLACEABLE)
            if checked.cited and checked.text != shown_so_far[0]:
                shown_so_far[0] = checked.text
                on_text(checked.text)

    reply = generator.chat(draft.messages, max_new_tokens=draft.max_new_tokens, on_text=shown)
    generate_ms = (time.perf_counter() - started) * 1000
    timings = Timings(
        retrieve_ms=draft.retrieve_ms,
        queued_ms=queued_ms,
        generate_ms=generate_ms,
        total_ms=draft.retrieve_ms + queued_ms + generate_ms,
    )
    if reply and reply.strip().strip(".").upper() == NOT_IN_DOCS:  # the model's own judgement
        return declined(draft, generator.info, timings)
    cited = draft.sources
    grounding = None
    if reply:
        grounded = ground(reply, texts, similarity, PLACEABLE)
        grounding = Grounding(
            written=reply,
            sentences=grounded.sentences,
            removed=[RemovedSentence(sentence=r.sentence, why=r.why) for r in grounded.removed],
            recited=grounded.recited,
        )
        if grounded.cited:
            reply = grounded.text
        else:
            grounding.quoted_because = QUOTED_BECAUSE
            logger.info("Quoting the docs: %s (%d sentences)", QUOTED_BECAUSE, grounded.sentences)
            reply = ""
    if not reply:  # no model, or nothing it wrote holds up: quote, each link at its section
        quoted = quote_sources(draft.standalone_question, draft.sources)
        reply, cited = quoted.text, quoted.sources
    checked = check_citations(reply, cited)
    return Answer(
        **_shared(draft),
        text=checked.text,
        citations=checked.citations,
        confidence="high" if checked.citations else "low",
        model=generator.info,
        timings=timings,
        grounding=grounding,
    )


def whole_sentences(written: str) -> str:
    """The sentences of an answer being written that are finished (pure): the last one may
    still be growing."""
    pairs = split_sentences(written)
    ended = written[-1:] == "\n" or (
        written[-1:].isspace() and pairs and pairs[-1][0].rstrip()[-1:] in (".", "!", "?")
    )
    if pairs and not ended:
        pairs = pairs[:-1]
    return "".join(s + gap for s, gap in pairs)


def showable(written: str) -> bool:
    """Whether an answer being written can be shown yet (pure): not while it may still turn
    out to be the model's NOT_IN_DOCS, which becomes a handoff instead."""
    start = written.strip().upper()
    return bool(start) and not (NOT_IN_DOCS.startswith(start) or start.startswith(NOT_IN_DOCS))


def declined(draft: Draft, model: ModelInfo, timings: Timings) -> Answer:
    """The handoff: the docs (or the model) found no answer."""
    return Answer(**_shared(draft), text=draft.decline_text, confidence="none", declined=True,
                  model=model, timings=timings)  # fmt: skip


def _shared(draft: Draft) -> dict[str, Any]:
    return {
        "question": draft.question,
        "standalone_question": draft.standalone_question,
        "answerability": draft.answerability,
        "evidence": draft.evidence,
        "retrieved": draft.sources,
        "note": draft.note,
    }
