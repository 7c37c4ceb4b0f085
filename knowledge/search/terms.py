"""The words of a question that carry its meaning, and how much each says.

A question's content words (stop words out, Snowball-stemmed like the BM25 index's English
analyzer), each weighted by how rare it is both in the docs (inverse document frequency) and in
English at large (wordfreq's frequencies): "kindle" or "refund" weigh far more than "note" or
"sync" in a note-taking app's docs, and "take" or "long" weigh little even where the docs never
use them. The decline signal asks how much of that weight the best page holds, and how much the
docs hold at all.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from llama_index.core.utils import globals_helper
from nltk.stem.snowball import SnowballStemmer
from wordfreq import zipf_frequency

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMER = SnowballStemmer("english")
_STOP_WORDS = frozenset(globals_helper.stopwords)


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _STEMMER.stem(word)


#: Chunks of unrelated text the document frequencies are smoothed with (see `Vocabulary.idf`).
BACKGROUND_CHUNKS = 100
#: Zipf frequency is log10 of occurrences per billion words: 7 for "the", 3 for "refund", 0 unseen.
_MOST_ZIPF = 8.0


def _content_words(text: str) -> dict[str, str]:
    """Stem -> the first word seen with it, for the content words of `text`."""
    found: dict[str, str] = {}
    for word in _WORD.findall(text.casefold()):
        if word not in _STOP_WORDS and len(word) > 1:
            found.setdefault(_stem(word), word)
    return found


def terms(text: str) -> list[str]:
    """Distinct content-word stems of `text`, in order of first appearance."""
    return list(_content_words(text))


def information(text: str) -> dict[str, float]:
    """Each content-word stem of `text` with how much its word says in English at large (the
    word's, not the stem's: "featur" is no English word, "feature" is a common one)."""
    return {stem: english_information(word) for stem, word in _content_words(text).items()}


def bm25_tokens(text: str, analyzer: str) -> list[str]:
    """The words BM25 counts, every occurrence: lowercased; for "english" also without stop words
    and Snowball-stemmed, as Milvus's analyzer of that name (`knowledge.index.store.ANALYZERS`)."""
    words = _WORD.findall(text.casefold())
    if analyzer != "english":
        return words
    return [_stem(word) for word in words if word not in _STOP_WORDS]


@lru_cache(maxsize=100_000)
def english_information(word: str) -> float:
    """How much a word says in English at large: 8 minus its Zipf frequency (0..8)."""
    return max(0.0, _MOST_ZIPF - zipf_frequency(word, "en"))


class Vocabulary:
    """Document frequency of every stem over the indexed chunks."""

    def __init__(self, frequencies: Counter[str], documents: int) -> None:
        self.frequencies = frequencies
        self.documents = documents

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        frequencies: Counter[str] = Counter()
        documents = 0
        for text in texts:
            frequencies.update(terms(text))
            documents += 1
        return cls(frequencies, documents)

    def idf(self, term: str) -> float:
        """Rarer is heavier; a stem the docs never use weighs most.

        Counted as if `BACKGROUND_CHUNKS` chunks without the stem were added, so that in a small
        help center (or a one-page test) a word on every page still says something.
        """
        chunks = self.documents + BACKGROUND_CHUNKS
        return math.log((chunks + 1) / (self.frequencies.get(term, 0) + 0.5))

    def known(self, term: str) -> bool:
        return term in self.frequencies

    def weights(self, text: str) -> dict[str, float]:
        """Each content-word stem of `text` with its weight: rare in the docs and in English."""
        return {
            stem: min(self.idf(stem), english_information(word))
            for stem, word in _content_words(text).items()
        }
