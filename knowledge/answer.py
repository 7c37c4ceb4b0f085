"""A question (plus its thread) in, an `Answer` out: retrieve, decide, prompt, generate, check."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from knowledge.base import KnowledgeBase
from knowledge.citations import check_citations
from knowledge.decline import answerability, decline_text, gather_evidence, should_decline
from knowledge.generate.base import Generator
from knowledge.generate.extractive import quote_sources
from knowledge.models import Answer, Timings, Turn
from knowledge.prompt import NOT_IN_DOCS, build_messages, condense_messages, load_voice
from knowledge.retrieve import clean_question
from knowledge.settings import Settings

logger = logging.getLogger(__name__)
_MAX_CONDENSED_CHARS = 400


def fallback_standalone(question: str, history: Sequence[Turn]) -> str:
    """Without a model to rewrite it, a follow-up is searched together with the last user turn."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    return f"{previous} {question}".strip()


class Answerer:
    """Holds the knowledge base, the loaded generator and the voice; answers many questions."""

    def __init__(self, kb: KnowledgeBase, generator: Generator, settings: Settings) -> None:
        self.kb = kb
        self.generator = generator
        self.settings = settings
        self.voice = load_voice(settings.voice_file)

    def answer(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        collections: Sequence[str] | None = None,
        handoff_contact: str | None = None,
    ) -> Answer:
        """Answer from the docs, or decline and name who to ask. Raises on an empty question."""
        started = time.perf_counter()
        text = clean_question(question)
        standalone = self.standalone(text, history)
        sources = self.kb.search(
            standalone, top_k=self.settings.answer_sources, collections=collections
        )
        evidence = gather_evidence(text, standalone, sources, self.kb.vocabulary())
        retrieved = time.perf_counter()
        base = {
            "question": text,
            "standalone_question": standalone,
            "model": self.generator.info,
            "answerability": round(answerability(evidence), 4),
            "evidence": evidence,
        }
        decline = Answer(
            **base,
            text=decline_text(handoff_contact or self.settings.handoff_contact),
            confidence="none",
            declined=True,
            retrieved=sources,
        )
        if should_decline(evidence, self.settings.decline_threshold):
            return decline.model_copy(update={"timings": _timings(started, retrieved, retrieved)})
        messages = build_messages(
            text,
            sources,
            voice=self.voice,
            history=history,
            max_source_chars=self.settings.max_source_chars,
        )
        reply = self.generator.chat(messages, max_new_tokens=self.settings.max_new_tokens)
        if reply and reply.strip().strip(".").upper() == NOT_IN_DOCS:  # the model's own judgement
            timings = _timings(started, retrieved, time.perf_counter())
            return decline.model_copy(update={"timings": timings})
        cited = sources
        if not reply:  # no model: quote, each link pointing at the section quoted
            quoted = quote_sources(standalone, sources)
            reply, cited = quoted.text, quoted.sources
        checked = check_citations(reply, cited)
        return Answer(
            **base,
            text=checked.text,
            citations=checked.citations,
            confidence="high" if checked.citations else "low",
            retrieved=sources,
            timings=_timings(started, retrieved, time.perf_counter()),
        )

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        """The follow-up rewritten to stand alone, for retrieval."""
        if not history:
            return question
        rewritten = self.generator.chat(condense_messages(question, history), max_new_tokens=64)
        if rewritten and len(rewritten) <= _MAX_CONDENSED_CHARS:
            return clean_question(rewritten)
        return clean_question(fallback_standalone(question, history))


def _timings(started: float, retrieved: float, finished: float) -> Timings:
    return Timings(
        retrieve_ms=(retrieved - started) * 1000,
        generate_ms=(finished - retrieved) * 1000,
        total_ms=(finished - started) * 1000,
    )
