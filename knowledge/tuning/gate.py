"""Whether a tuned adapter may replace what is served: judged on what its answers say.

Held-out loss and the voice markers both reward an answer that is all form. An adapter that
learned to write "Hi there! [1]\\n\\n— Orbit Support" lowers the loss, gains the voice, and says
nothing. So the gate generates answers to the held-out prompts before and after tuning, and
compares what they say. It looks at:
- how much each answer agrees with the reference answer (F1 over content words, with citation
  markers, greetings and sign-offs left out);
- answers that say nothing;
- answers that cite a source the prompt has;
- sentences their sources don't hold (`knowledge.answers.grounding`);
- the voice markers (`knowledge.tuning.voice`).

An adapter that loses content, or writes more empty answers, is refused. Data that was shuffled
or is wrong teaches answers that disagree with the references, so its adapter is refused too.

Pure: answers in, figures and reasons out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from knowledge.answers.citations import cited_numbers, without_markers
from knowledge.answers.grounding import ground, phatic, split_sentences
from knowledge.search.terms import terms
from knowledge.tuning.voice import voice_score

#: Content agreement may fall by this much (noise over a few held-out answers) and still pass.
CONTENT_SLACK = 0.02
_SOURCE = re.compile(r'<source id="(\d+)"[^>]*>\n?(.*?)\n?</source>', re.DOTALL)


@dataclass(frozen=True)
class AnswerChecks:
    """What one set of held-out answers says, as figures (shares are 0..1)."""

    content: float  # mean F1 of content words against the reference answers
    empty: int  # answers with nothing in them but a greeting, markers or a sign-off
    cited: float  # answers citing a source that their prompt holds
    unsupported: float  # sentences their cited sources don't hold, of all sentences
    voice: float  # the voice markers' score

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def prompt_sources(prompt: Sequence[dict[str, str]]) -> list[str]:
    """The numbered sources' texts of a prompt built by `knowledge.answers.prompt` (pure)."""
    user = next((m["content"] for m in reversed(prompt) if m["role"] == "user"), "")
    found = {int(n): text for n, text in _SOURCE.findall(user)}
    return [found[n] for n in sorted(found)]


def substance(answer: str) -> str:
    """An answer without its greeting, sign-off and citation markers: what it says (pure)."""
    pairs = split_sentences(answer)
    said = [s for i, (s, _) in enumerate(pairs) if not phatic(s, last=i == len(pairs) - 1)]
    return without_markers(" ".join(said)).strip()


def content_f1(answer: str, reference: str) -> float:
    """Agreement of an answer with a reference answer: F1 over their content words (pure)."""
    said, wanted = set(terms(substance(answer))), set(terms(substance(reference)))
    common = len(said & wanted)
    if not common:
        return 0.0
    precision, recall = common / len(said), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def check_answers(
    answers: Sequence[str], references: Sequence[str], prompts: Sequence[Sequence[dict[str, str]]]
) -> AnswerChecks:
    """The figures for answers to held-out prompts, each beside its reference answer (pure)."""
    count = len(answers) or 1
    f1, empty, cited, sentences, unsupported = 0.0, 0, 0, 0, 0
    for answer, reference, prompt in zip(answers, references, prompts, strict=True):
        sources = prompt_sources(prompt)
        f1 += content_f1(answer, reference)
        empty += not terms(substance(answer))
        cited += any(1 <= n <= len(sources) for n in cited_numbers(answer))
        grounded = ground(answer, sources)
        sentences += grounded.sentences
        unsupported += sum(r.why != "repeated" for r in grounded.removed)
    return AnswerChecks(
        content=round(f1 / count, 4),
        empty=empty,
        cited=round(cited / count, 4),
        unsupported=round(unsupported / (sentences or 1), 4),
        voice=round(voice_score(answers), 4),
    )


def refusals(before: AnswerChecks, after: AnswerChecks) -> list[str]:
    """Why the tuned answers must not replace the ones served now; [] when they may (pure)."""
    reasons = []
    if after.content < before.content - CONTENT_SLACK:
        reasons.append(
            f"its answers agree less with the reference answers ({before.content:.2f} -> "
            f"{after.content:.2f} content F1): it gained form and lost what the answers say"
        )
    if after.empty > before.empty:
        reasons.append(
            f"more of its answers say nothing ({before.empty} -> {after.empty} of the held-out "
            "answers are only a greeting, citation markers or a sign-off)"
        )
    return reasons
