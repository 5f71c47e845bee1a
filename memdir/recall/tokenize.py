"""Words to index terms for the offline selector: splitting, stop words, stemming.

Words are split on punctuation, snake_case and camelCase, lowercased, stop words dropped
and the rest stemmed with Snowball in the text's language. The language is told by the
function words a text uses (English unless another language's clearly outnumber them),
so a German memory and a German query meet on German stems. Version numbers stay whole
("4.1.3"), and a code name keeps its digits ("a100s" is "a100").
"""

from __future__ import annotations

import re
from collections import Counter

import snowballstemmer

from ._vocab import ENGLISH_MARKERS, IRREGULAR_FORMS, OTHER_LANGUAGES, STOP_WORDS

# `typing` itself costs start-up time: its names are for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["WORD_RE", "Tokenizer", "detect_language", "is_selectable_query"]

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


def is_selectable_query(query: str) -> bool:
    """True when the query has at least two words: one word carries too little to select on."""
    return len(_COUNTED_WORD_RE.findall(query)) >= 2


def detect_language(text: str) -> str:
    """The Snowball name of the language `text` is most likely in ("english" by default)."""
    # Words counted in C (`Counter`), then only the function words among them looked at:
    # every memory is told apart this way when an index is built.
    counts: dict[str, int] = {}
    words = Counter(WORD_RE.findall(text.lower()))
    for word in words.keys() & _LANGUAGES_OF.keys():
        times = words[word]
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
        memo = self._memo.get(language)
        if memo is None:
            memo = self._memo[language] = {}
        out: list[str] = []
        for raw in WORD_RE.findall(text):
            terms = memo.get(raw)
            if terms is None:
                terms = memo[raw] = self.word(raw, language)
            out.extend(terms)
        return out

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
