"""Only what the sources say is posted: each sentence of a model's answer is checked against them.

A small model cites nothing, repeats one sentence until it runs out of tokens, and describes
features the docs never mention. Before an answer is shown, each of its sentences must be
supported by the source it cites (or, citing none, by one of the sources, which it then cites):
one sentence of the source holds every number in it, every word of it that English doesn't use
all the time, its "not" (or its lack of one), and, where an embedding model is at hand, its
meaning. A small model's paraphrases are mostly wrong in one word ("upper left" for "upper
right", "added" for "deleted", "free" for "paid"), so a sentence is posted only where it stays
that close to what the page says. A sentence that repeats one already kept is dropped, and so is
a piece of a sentence, or one that says nothing checkable apart from a short greeting or
sign-off. The caller decides what to do with an answer that has no supported, cited sentence
left (the pipeline quotes the docs instead).

Pure: the similarity is passed in, so the rules are tested without a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from knowledge.answers.citations import cited_numbers, without_markers
from knowledge.search.terms import english_information, information, terms

#: `similarity(sentence, passages)`: the best cosine similarity of the sentence to any passage.
Similarity = Callable[[str, Sequence[str]], float]

#: Share of a sentence's content words (weighted by how rare they are in English) that its
#: source sentence must hold.
MIN_COVERAGE = 0.6
#: A word rarer than this in English (8 minus its Zipf frequency: every word but the hundred
#: or so most common, such as "also", "way", "make") says something; a sentence using one that
#: its source sentence doesn't is not what the source says. On SmolLM2's answers to the coda
#: bench: with 3.0 ("left", "free", "added" let through) about half the sentences posted
#: misstated their page; with 2.0, none of the 7 posted did.
TELLING = 2.0
#: Below this, the sentence is about something else than any sentence of the source (the
#: bundled MiniLM scores a paraphrase 0.6-0.9, another topic of the same product 0.2-0.5).
MIN_SIMILARITY = 0.5
#: A sentence whose words are all this common in English (Zipf >= 5) and that names no number
#: is a greeting or a connective ("Hi there!", "Hope that helps."), kept without a source.
_COMMON = 3.0
_MAX_PHATIC_WORDS = 3
_MIN_CLAIM_WORDS = 3
#: A line that is all bold, or a Markdown heading: a page's heading, not a claim.
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|\*\*[^*]+\*\*[.:]?$)")
#: A sentence ending on one of these words was cut off ("… import your bases to a").
_DANGLING = re.compile(
    r"\b(?:a|an|the|to|of|in|on|at|for|with|from|by|into|onto|and|or|but|nor|than|as|if|that|"
    r"which|your|my|our|their|its|his|her|this|these|those)\W*$",
    re.IGNORECASE,
)

_LEADING_MARKERS = re.compile(r"^((?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+[.!?]?)\s*")
_BREAK = re.compile(r"((?<=[.!?])[ \t]+|\s*\n\s*)")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_SOURCE_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
#: A line break inside a sentence: after no full stop, before a word in lower case.
_WRAPPED = re.compile(r"(?<![.!?:])[ \t]*\n[ \t]*(?=[a-z(])")
#: What a greeting or sign-off is made of: words, spaces, dashes and sentence punctuation.
_PROSE = re.compile(r"^[^\W_]+(?:[\s,.;:!?'’—–-]+[^\W_]*)*$|^[—–-]{1,2}\s*[^\W_].*$")
_SIGN_OFF = re.compile(r"^[—–-]{1,2}\s*\S.{0,40}$")
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|cannot|can't|can’t|won't|won’t|don't|don’t|doesn't|"
    r"doesn’t|isn't|isn’t|aren't|aren’t|without|unable)\b|n['’]t\b",
    re.IGNORECASE,
)
#: Where a sentence turns from one claim to another: its sides may differ on "not".
_CONTRAST = re.compile(
    r"[;:]|(?:,\s*|\s+)(?:but|however|while|whereas|although|though|except|unless|instead)\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]{2,}")
_LINK = re.compile(r"\]\(([^)]*)\)|\b(?:https?:|www\.)[^\s)\]>]*", re.IGNORECASE)
#: Words that answer the question ("Yes.", "Sure, you can.", "It isn't."): a sentence holding
#: one is a claim for a source to confirm, never a greeting.
_VERDICT = re.compile(
    r"\b(?:yes|yeah|yep|no|nope|sure|can|cannot|can't|can’t|will|won't|won’t|does|doesn't|"
    r"doesn’t|don't|don’t|not|never|always|possible|impossible|correct|definitely)\b",
    re.IGNORECASE,
)
UNSUPPORTED = "uncited and unsupported"
#: Two sentences sharing this much of their telling words say the same thing twice.
_SAME = 0.75


@dataclass(frozen=True)
class Removed:
    """A sentence left out of the answer, and why."""

    sentence: str
    why: str  # "repeated", "says nothing", "uncited and unsupported", "not in source [n]"


@dataclass(frozen=True)
class Grounded:
    """The answer with only its supported sentences, and what was taken out."""

    text: str
    sentences: int
    removed: list[Removed] = field(default_factory=list)
    #: Sentences that cited a source not holding them, cited to the one that does.
    recited: int = 0

    @property
    def cited(self) -> bool:
        """Whether a sentence left in the answer cites a source."""
        return bool(cited_numbers(self.text))


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Each sentence with the whitespace after it (pure). A citation written after the full
    stop ("… plan. [1]") stays with its sentence."""
    parts = _BREAK.split(text.strip())
    pairs: list[tuple[str, str]] = []
    for i in range(0, len(parts), 2):
        sentence, gap = parts[i], parts[i + 1] if i + 1 < len(parts) else ""
        leading = _LEADING_MARKERS.match(sentence)
        if pairs and leading:  # "… plan. [1] Next sentence": the marker is the plan's
            before, before_gap = pairs.pop()
            pairs.append((f"{before}{before_gap}{leading.group(1)}", " "))
            sentence = sentence[leading.end() :]
        if sentence.strip():
            pairs.append((sentence, gap))
        elif pairs:
            pairs[-1] = (pairs[-1][0], gap)
    return pairs


def numbers(text: str) -> set[str]:
    """The numbers a text states, citation markers left out (pure)."""
    return set(_NUMBER.findall(without_markers(text)))


def links(text: str) -> set[str]:
    """The web addresses a text gives: link targets, URLs, `www.` names (pure). A model invents
    plausible ones ("https://help.example/en/docs/downgrade"); only the source's may be posted."""
    return {m.group(1) if m.group(1) is not None else m.group(0) for m in _LINK.finditer(text)}


def coverage(sentence: str, source: str) -> float:
    """Share of the sentence's telling words that the source uses, each weighted by how rare it
    is in English (pure): "refund" and "yearly" count, "get" and "use" barely."""
    said = information(without_markers(sentence))
    if not said:
        return 1.0
    held = set(terms(source))
    weights = {t: max(info, 0.5) for t, info in said.items()}
    return sum(w for t, w in weights.items() if t in held) / sum(weights.values())


def unsaid(sentence: str, source: str) -> list[str]:
    """The sentence's telling words that the source doesn't use (pure): an invented name
    ("Codacore"), a verb the page never uses of it ("edit" where it says "generate")."""
    held = set(terms(source))
    said = information(without_markers(sentence))
    return [t for t, info in said.items() if info >= TELLING and t not in held]


def phatic(sentence: str, last: bool) -> bool:
    """A greeting, connective or sign-off: nothing in it that a source could confirm (pure)."""
    bare = without_markers(sentence).strip()
    if _NUMBER.search(bare) or not _PROSE.match(bare):  # "<question>": the prompt, echoed
        return False
    if last and _SIGN_OFF.match(bare):
        return True
    if _VERDICT.search(bare):
        return False
    words = terms(bare)
    return len(words) <= _MAX_PHATIC_WORDS and all(english_information(w) <= _COMMON for w in words)


def fragment(sentence: str) -> bool:
    """A piece of a sentence rather than a claim (pure): fewer than three content words ("Yes,
    you can.", "Custom icons"), a page's heading or heading path copied ("**Sync your notes
    across devices**", "Coda AI chat › AI chat"), a question (an FAQ's, copied: "Can I use the
    same key on all devices?"), or words cut off where the model ran out of tokens ("… import
    your bases to a")."""
    ending = sentence.rstrip()
    return (
        len(terms(sentence)) < _MIN_CLAIM_WORDS
        or "›" in sentence
        or bool(_HEADING.match(ending))
        or ending.rstrip("*_ ").endswith("?")
        or (not ending.endswith((".", "!", "?")) and bool(_DANGLING.search(ending)))
    )


def source_sentences(text: str) -> list[str]:
    """A source's sentences (and lines: a step, a list item), each whole where the page's text
    was wrapped ("… for the rest of the current billing\nperiod, charged …") (pure)."""
    unwrapped = _WRAPPED.sub(" ", text)
    return [s.strip() for s in _SOURCE_SENTENCE.split(unwrapped) if len(s.strip()) > 3]


def negated(text: str) -> bool:
    """Whether a sentence says that something is not so (pure)."""
    return bool(_NEGATION.search(text))


def anchor(sentence: str, source: str) -> str:
    """The sentence (or line) of the source that says most of what the sentence says (pure).
    Support is judged there, not over the whole page: a sentence taking "move" from one
    paragraph and "remote vault" from another says something the page never does. Measured on
    the bench: letting two source sentences in a row hold one sentence posted "Click the Cancel
    button" from "click the Downgrade button. If you want to cancel, …"."""
    lines = source_sentences(source) or [source.strip()]
    return max(lines, key=lambda line: coverage(sentence, line))


def same_polarity(sentence: str, said: str) -> bool:
    """Whether the sentence and the source sentence that holds it agree on "not" (pure): a
    small model turns "you cannot move a remote vault" into "you can move your remote vault".
    Where the source contrasts two things ("Monthly plans are not refunded, but you can cancel
    at any time"), the side holding most of the sentence's words decides."""
    if negated(sentence):
        return negated(said)
    sides = [side for side in _CONTRAST.split(said) if side.strip()] or [said]
    return not negated(max(sides, key=lambda side: coverage(sentence, side)))


def supports(sentence: str, source: str, similarity: Similarity | None) -> bool:
    """Whether one source says what the sentence says, in one place (`anchor`): its numbers, its
    telling words, whether it says "not", and (with an embedding model) its meaning; and the
    links it gives are the source's own."""
    if not links(sentence) <= links(source):  # whole links: a real one's prefix is no link
        return False
    said = anchor(sentence, source)
    if not numbers(sentence) <= numbers(said):
        return False
    if coverage(sentence, said) < MIN_COVERAGE or unsaid(sentence, said):
        return False
    if not same_polarity(sentence, said):
        return False
    if similarity is None:
        return True
    return similarity(without_markers(sentence).strip(), [said]) >= MIN_SIMILARITY


def first_holding(
    sentence: str, sources: Sequence[str], similarity: Similarity | None
) -> int | None:
    """The number of the first source (in retrieval order) that holds the sentence, or None. A
    small model cites [1] for everything, or nothing; the link shown is a page that holds it,
    the one closest to the question where several do (measured on the bench: choosing the
    source closest to the sentence instead cited a right page for 72% of questions, not 80%)."""
    return next((n for n, s in enumerate(sources, 1) if supports(sentence, s, similarity)), None)


def repeats(sentence: str, earlier: Sequence[str]) -> bool:
    """Whether a sentence says again what an earlier one said (pure): the same telling words,
    or nearly, or only a piece of it ("… without a token [1]." after the whole sentence)."""
    mine = set(terms(without_markers(sentence)))
    for before in earlier:
        theirs = set(terms(without_markers(before)))
        if not mine:
            if _words(sentence) == _words(before):
                return True
            continue
        if mine <= theirs or len(mine & theirs) / len(mine | theirs) >= _SAME:
            return True
    return False


def _words(sentence: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", without_markers(sentence).casefold()))


def ground(
    text: str,
    sources: Sequence[str],
    similarity: Similarity | None = None,
    placeable: int | None = None,
) -> Grounded:
    """The answer with every sentence that its sources don't support, and every repeat, taken
    out (pure, given `similarity`). `sources` are the texts numbered [1], [2], … in the prompt.
    A sentence the model cited is kept where the sources it cites hold it. One it cited to a
    source that doesn't hold it, or didn't cite, gains the marker of the first source that does,
    among the first `placeable` (the pages the question is closest to; all if None): a sentence
    only a far page holds is seldom what the question asked."""
    pairs = split_sentences(text)
    kept: list[list[str]] = []  # [sentence, the whitespace after it]
    removed: list[Removed] = []
    recited = 0

    def remove(sentence: str, gap: str, why: str) -> None:
        removed.append(Removed(sentence, why))
        if kept and "\n" in gap:  # a paragraph's end outlives its last sentence
            kept[-1][1] = gap

    for index, (sentence, gap) in enumerate(pairs):
        bare = without_markers(sentence)
        if not _WORDS.search(bare):  # "7 [1].": nothing to read
            remove(sentence, gap, "says nothing")
            continue
        if repeats(sentence, [s for s, _ in kept]):
            remove(sentence, gap, "repeated")
            continue
        marked = cited_numbers(sentence)
        cited = [n for n in dict.fromkeys(marked) if 1 <= n <= len(sources)]
        last = index == len(pairs) - 1
        if not marked and phatic(sentence, last):
            kept.append([sentence, gap])
            continue
        if fragment(bare):  # "Yes, you can [1].", "Custom icons", "… your bases to a"
            remove(sentence, gap, "says nothing")
            continue

        # several sources may each give part of what one sentence says
        together = "\n".join(sources[n - 1] for n in cited)
        if not cited or not supports(sentence, together, similarity):
            found = first_holding(sentence, sources[:placeable], similarity)
            if found is None:
                marks = "".join(f"[{n}]" for n in cited)
                remove(sentence, gap, f"not in source {marks}" if cited else UNSUPPORTED)
                continue
            recited += bool(cited)
            sentence = _cite(sentence, found)
        kept.append([sentence, gap])
    text = "".join(s + gap for s, gap in kept).strip()
    return Grounded(text=text, sentences=len(pairs), removed=removed, recited=recited)


def _cite(sentence: str, number: int) -> str:
    """The sentence citing only `number`, its marker before the closing punctuation (pure)."""
    bare = re.sub(r"[ \t]{2,}", " ", without_markers(sentence))
    stripped = re.sub(r"\s+(?=[.!?:,;]|$)", "", bare)
    if stripped and stripped[-1] in ".!?:":
        return f"{stripped[:-1]} [{number}]{stripped[-1]}"
    return f"{stripped} [{number}]"
