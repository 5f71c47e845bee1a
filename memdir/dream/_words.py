"""Words of a memory's text, for comparing memories (duplicates, facts kept in a merge)."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:-]*[A-Za-z0-9]|[A-Za-z0-9]")
# Function words only. Negations ("not", "never", "no") are NOT here: "deploy on Fridays"
# and "never deploy on Fridays" share every other word and say the opposite.
STOP_WORDS = frozenset(
    """a an the and or but of to in on at by for with from as is are was were be been being
    it its this that these those there here we you they he she i me my our your their them
    us do does did so if then than also just very can could should would will shall may
    might must have has had into onto about over under up down out off all any some such
    what which who whom when where why how each both few more most other own same too""".split()
)
NEGATIONS = frozenset(
    "not no never none nothing nobody nor without dont don't cannot can't won't isn't".split()
)


def words(text: str) -> list[str]:
    """Lower-cased tokens of `text` with their punctuation edges trimmed, in order."""
    return [t.lower().strip(".:/-") for t in _TOKEN.findall(text)]


def content_words(text: str) -> set[str]:
    """The words of `text` that carry meaning: stop words and one-letter words left out."""
    return {w for w in words(text) if w and w not in STOP_WORDS and (len(w) > 1 or w.isdigit())}


_SUFFIXES = ("ing", "ed", "es", "s")


def stem(word: str) -> str:
    """`word` without a common English ending ("mocks" and "mock" compare equal)."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def coverage(part: str, whole: str) -> float:
    """Share of `part`'s content words that also appear in `whole` (1.0 for an empty part)."""
    mine = {stem(w) for w in content_words(part)}
    if not mine:
        return 1.0
    return len(mine & {stem(w) for w in content_words(whole)}) / len(mine)
