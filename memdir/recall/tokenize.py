"""Words to index terms for the offline selector: splitting, stop words, stemming.

Words are split on punctuation, snake_case and camelCase, lowercased, stop words dropped
and the rest stemmed with Snowball. Version numbers stay whole ("4.1.3"), and a code name
keeps its digits ("a100s" is "a100").
"""

from __future__ import annotations

import re

import snowballstemmer

from ._vocab import IRREGULAR_FORMS, STOP_WORDS

__all__ = ["WORD_RE", "Tokenizer", "is_selectable_query"]

#: Version numbers ("4.1.3", "1.0") stay whole; otherwise runs of letters and digits.
WORD_RE = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")
# A word as a person counts it: "don't" is one word, "CI/CD" two.
_COUNTED_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Split points inside camelCase and PascalCase ("validateSettlement", "HTTPServer").
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def is_selectable_query(query: str) -> bool:
    """True when the query has at least two words: one word carries too little to select on."""
    return len(_COUNTED_WORD_RE.findall(query)) >= 2


class Tokenizer:
    """Turns text into index terms; remembers each word it has seen (not thread-safe)."""

    def __init__(self, *, stemming: bool = True, stop_words: bool = True) -> None:
        self.stemming = stemming
        self.stop_words = stop_words
        self._stemmer = snowballstemmer.stemmer("english")
        self._memo: dict[str, tuple[str, ...]] = {}

    def terms(self, text: str) -> list[str]:
        """Index terms of `text`, in order."""
        memo = self._memo
        out: list[str] = []
        for raw in WORD_RE.findall(text):
            terms = memo.get(raw)
            if terms is None:
                terms = memo[raw] = self.word(raw)
            out.extend(terms)
        return out

    def word(self, raw: str) -> tuple[str, ...]:
        """Terms of one word as written: itself, plus its parts when it is camelCase."""
        parts = _CAMEL_RE.split(raw)
        words = [raw] if len(parts) == 1 else [raw, *parts]
        terms = (self.normalise(w.lower()) for w in words)
        return tuple(t for t in terms if t)

    def normalise(self, word: str) -> str:
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
        if len(word) < 2 or (self.stop_words and word in STOP_WORDS):
            return ""
        if not self.stemming:
            return word
        return str(self._stemmer.stemWord(IRREGULAR_FORMS.get(word, word)))
