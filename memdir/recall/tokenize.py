"""Words to index terms for the offline selector: splitting, stop words, stemming.

Words are split on punctuation, snake_case and camelCase, lowercased, stop words dropped
and the rest stemmed with Snowball in the text's language. The language is told by the
function words a text uses (English unless another language's clearly outnumber them),
so a German memory and a German query meet on German stems. Version numbers stay whole
("4.1.3"), and a code name keeps its digits ("a100s" is "a100").
"""

from __future__ import annotations

import re

# The C counting loop behind `Counter.update`, without Counter's Python-level set-up.
from _collections import _count_elements  # type: ignore[import-not-found]
from itertools import chain

import snowballstemmer

from ._vocab import ENGLISH_MARKERS, IRREGULAR_FORMS, OTHER_LANGUAGES, STOP_WORDS

# `typing` itself costs start-up time: its names are for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = [
    "WORD_RE",
    "Tokenizer",
    "count",
    "detect_language",
    "is_selectable_query",
    "words",
    "words_of_each",
]

ENGLISH = "english"
#: Version numbers ("4.1.3", "1.0") stay whole; otherwise runs of letters and digits.
WORD_RE = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")
# A word as a person counts it: "don't" is one word, "CI/CD" two.
_COUNTED_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Split points inside camelCase and PascalCase ("validateSettlement", "HTTPServer").
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Function word -> the languages it belongs to, for one lookup per word.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _language, _words in (("english", ENGLISH_MARKERS | STOP_WORDS), *OTHER_LANGUAGES.items()):
    for _word in _words:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _language)
#: Function words another language needs, at the least, to count as the text's language.
_MIN_MARKERS = 2
#: Function words of other languages that English does not use: a text with none of them
#: is English (every other hit is also an English one, so English would win the count).
_FOREIGN_ONLY = frozenset(
    word for word, languages in _LANGUAGES_OF.items() if ENGLISH not in languages
)

# The fast way to split ASCII text (`words`): bytes translated in C, every byte that is
# not a letter or digit made a space, then `split`. It finds exactly what `WORD_RE` finds
# as long as no version number is in the text (a digit, a dot, a digit), which `_DOTS`
# shows: digits become "d", dots stay, everything else is a space.
_ALNUM = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SPACES = bytes(c if c in _ALNUM else 32 for c in range(256))
_DOTS = bytes(100 if 48 <= c <= 57 else 46 if c == 46 else 32 for c in range(256))


def _spaced(text: str) -> str | None:
    """`text` with every character that is not an ASCII letter or digit made a space, or
    None when that would not split it as `WORD_RE` does (other characters, a version)."""
    if not text.isascii():
        return None
    raw = text.encode("ascii")
    if b"." in raw and b"d.d" in raw.translate(_DOTS):
        return None
    return raw.translate(_SPACES).decode("ascii")


def words(text: str) -> list[str]:
    """The words of `text` as written, in order: what ``WORD_RE.findall(text)`` gives.

    An index build splits every memory, so plain ASCII text is split in C (see
    `_spaced`); text with other characters or a version number takes the expression.
    """
    spaced = _spaced(text)
    return WORD_RE.findall(text) if spaced is None else spaced.split()


def words_of_each(texts: Sequence[str]) -> list[list[str]]:
    """`words` of each text, translated in one pass over them all when that splits each
    as `words` would (a version number in one text sends each to `words`: none spans
    the newlines that join them)."""
    spaced = _spaced("\n".join(texts))
    if spaced is None:
        return [words(text) for text in texts]
    out = []
    at = 0
    for text in texts:
        end = at + len(text)
        out.append(spaced[at:end].split())
        at = end + 1
    return out


def count(items: list[str]) -> dict[str, int]:
    """Item -> how many times it occurs, counted in C (`Counter` without its overhead)."""
    counts: dict[str, int] = {}
    _count_elements(counts, items)
    return counts


def is_selectable_query(query: str) -> bool:
    """True when the query has at least two words: one word carries too little to select on."""
    return len(_COUNTED_WORD_RE.findall(query)) >= 2


def detect_language(text: str) -> str:
    """The Snowball name of the language `text` is most likely in ("english" by default)."""
    found = words(text.lower())
    if _FOREIGN_ONLY.isdisjoint(found):
        return ENGLISH
    # Counted in C, then only the function words among them looked at.
    lowered = count(found)
    counts: dict[str, int] = {}
    for word in lowered.keys() & _LANGUAGES_OF.keys():
        times = lowered[word]
        for language in _LANGUAGES_OF[word]:
            counts[language] = counts.get(language, 0) + times
    english = counts.pop(ENGLISH, 0)
    if not counts:
        return ENGLISH
    language, hits = max(counts.items(), key=lambda item: (item[1], item[0]))
    return language if hits >= _MIN_MARKERS and hits > english else ENGLISH


class Tokenizer:
    """Turns text into index terms; remembers each word it has seen (not thread-safe)."""

    def __init__(self, *, stemming: bool = True, stop_words: bool = True) -> None:
        self.stemming = stemming
        self.stop_words = stop_words
        self._stemmers: dict[str, Any] = {}
        self._memo: dict[str, dict[str, tuple[str, ...]]] = {}

    def terms(self, text: str, language: str = ENGLISH) -> list[str]:
        """Index terms of `text` in `language`, in order."""
        return self.terms_of(words(text), language)

    def terms_of(self, raw_words: list[str], language: str = ENGLISH) -> list[str]:
        """Index terms of words as `words` splits them, in order."""
        memo = self._memo.get(language)
        if memo is None:
            memo = self._memo[language] = {}
        # Looked up and flattened in C: an index build runs this for every memory, and
        # most of its words have been seen before.
        try:
            return list(chain.from_iterable(map(memo.__getitem__, raw_words)))
        except KeyError:
            for raw in set(raw_words).difference(memo):
                memo[raw] = self.word(raw, language)
        return list(chain.from_iterable(map(memo.__getitem__, raw_words)))

    def word(self, raw: str, language: str = ENGLISH) -> tuple[str, ...]:
        """Terms of one word as written: itself, plus its parts when it is camelCase."""
        parts = _CAMEL_RE.split(raw)
        words = [raw] if len(parts) == 1 else [raw, *parts]
        terms = (self.normalise(w.lower(), language) for w in words)
        return tuple(t for t in terms if t)

    def normalise(self, word: str, language: str = ENGLISH) -> str:
        """The term for one lowercased word, or "" when it does not count."""
        if any(c.isdigit() for c in word):
            if "." in word:
                # "8.0" is what people call "8"; "3.12" stays as it is.
                while word.endswith(".0"):
                    word = word[:-2]
                return word
            if not self.stemming:
                return word
            # Snowball leaves "a100s" alone; the plural of a code name is the code name.
            return word[:-1] if len(word) > 2 and word[-1] == "s" and word[-2].isdigit() else word
        if len(word) < 2:
            return ""
        if self.stop_words and (
            word in STOP_WORDS or word in OTHER_LANGUAGES.get(language, STOP_WORDS)
        ):
            return ""
        if not self.stemming:
            return word
        if language == ENGLISH:
            word = IRREGULAR_FORMS.get(word, word)
        return str(self._stemmer(language).stemWord(word))

    def _stemmer(self, language: str) -> Any:
        stemmer = self._stemmers.get(language)
        if stemmer is None:
            stemmer = self._stemmers[language] = snowballstemmer.stemmer(language)
        return stemmer
