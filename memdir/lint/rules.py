"""The checks behind `memdir.lint.check` beyond the file rules of `memdir.store.validate`:
bodies and near-duplicates.

Each check returns findings as ``(rule, field, message)``; `memdir.lint.check` adds the file
and the severity from `RULES`. Messages say what is wrong and what to write instead.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from ..store.content import derivable_content
from ..store.validate import FILE_RULES, Finding, Rule, Severity
from ..types import MemoryType
from .dates import find_relative_dates

__all__ = ["RULES", "Finding", "Rule", "Severity", "check_body", "near_duplicates"]

#: Dice similarity of two descriptions' word sets from which they count as duplicates.
DUPLICATE_SIMILARITY = 0.6
#: Fewer shared words than this is never a duplicate (short descriptions match by chance).
DUPLICATE_MIN_SHARED = 3


RULES: Mapping[str, Rule] = {
    **FILE_RULES,
    "why-missing": Rule("warning", "feedback/project memory without a **Why:** line"),
    "how-to-apply-missing": Rule("warning", "feedback/project without **How to apply:**"),
    "relative-date": Rule("warning", "project memory with a relative date"),
    "derivable-code-block": Rule("warning", "holds a code block"),
    "derivable-tree": Rule("warning", "holds a directory tree"),
    "derivable-commit": Rule("warning", "names a commit hash"),
    "derivable-stack-trace": Rule("warning", "holds a stack trace"),
    "temp-leftover": Rule("warning", "a temporary file left by a writer that died"),
    "index-missing-entry": Rule("warning", "MEMORY.md has no entry for a memory"),
    "index-dead-link": Rule("warning", "MEMORY.md links to a file that is gone"),
    "index-stale-entry": Rule("warning", "a line memdir wrote no longer matches its memory"),
    "index-long-line": Rule("warning", "MEMORY.md line over 150 characters"),
    "index-too-long": Rule("warning", "MEMORY.md over the 200-line cap"),
    "index-too-big": Rule("warning", "MEMORY.md over the 25,000-byte cap"),
    "near-duplicate": Rule("warning", "two descriptions say the same thing"),
    "stale-reference": Rule("warning", "names a file or symbol the project no longer has"),
    "team-conflict-copy": Rule("warning", "the other side of a team memory edited twice"),
}

# "**Why:**", "**Why**:", "__why:__" ... anywhere on a line.
_WHY = re.compile(r"(\*\*|__)\s*why\s*(?::\s*\1|\1\s*:)", re.IGNORECASE)
_HOW = re.compile(r"(\*\*|__)\s*how\s+to\s+apply\s*(?::\s*\1|\1\s*:)", re.IGNORECASE)


def check_body(
    *, kind: MemoryType | None, description: str, body: str, written: date
) -> list[Finding]:
    """Structure, relative dates and derivable content of a memory's body."""
    found: list[Finding] = []
    if kind in (MemoryType.FEEDBACK, MemoryType.PROJECT):
        if not _WHY.search(body):
            found.append(
                ("why-missing", "body", f"{kind} memory without a **Why:** line giving the reason")
            )
        if not _HOW.search(body):
            found.append(
                (
                    "how-to-apply-missing",
                    "body",
                    f"{kind} memory without a **How to apply:** line saying when it matters",
                )
            )
    if kind is MemoryType.PROJECT:
        for field, text in (("description", description), ("body", body)):
            for rel in find_relative_dates(text, written=written):
                found.append(
                    (
                        "relative-date",
                        field,
                        f"says '{rel.text}'; written {written.isoformat()}, that is most likely "
                        f"{rel.meant} — write the date",
                    )
                )
    for rule, message in derivable_content(body):
        found.append((rule, "body", message))
    return found


# -- near-duplicates ------------------------------------------------------------------

_TOKEN = re.compile(r"\d{4}-\d\d-\d\d|\d+(?:[.,]\d+)*%?|[^\W_]+(?:['’][^\W_]+)*")
# Words people swap when they restate the same fact. Kept to phrasing, not topics:
# folding "deploy" into "release" would make distinct memories about one topic collide.
_SAME_WORDS = (
    "answer reply response",
    "short terse brief concise",
    "start begin lead",
    "prefer want like",
    "engineer developer programmer dev",
    "database db",
    "mock fake stub",
)
# Words too generic to tell two rules apart ("never", "use"), on top of the selector's
# stop words: two memories about one area share them without saying the same thing.
_GENERIC = frozenset("always never avoid use uses used using need needs instead every each".split())


class _Words:
    """Turns a description into its set of stemmed content words."""

    def __init__(self) -> None:
        import snowballstemmer

        from ..recall._vocab import STOP_WORDS

        self._stop = STOP_WORDS
        self._stemmer = snowballstemmer.stemmer("english")
        self._canon: dict[str, str] = {}
        for group in _SAME_WORDS:
            stems = [self._stemmer.stemWord(w) for w in group.split()]
            for stem in stems:
                self._canon[stem] = stems[0]

    def __call__(self, text: str) -> frozenset[str]:
        out: set[str] = set()
        for raw in _TOKEN.findall(text.lower()):
            word = raw.replace("'", "").replace("’", "")
            if word in self._stop or word in _GENERIC or (len(word) < 2 and not word.isdigit()):
                continue
            if not word[0].isdigit():
                word = self._stemmer.stemWord(word)
            out.add(self._canon.get(word, word))
        return frozenset(out)


def near_duplicates(descriptions: Mapping[str, str]) -> list[tuple[str, str, float]]:
    """Pairs of files whose descriptions say nearly the same thing, with their similarity.

    Similarity is the Dice coefficient of stemmed content-word sets. Candidates come from
    a prefix filter (two sets can only reach the threshold if they share one of their
    rarer words), so large folders are not compared pair by pair.
    """
    words = _Words()
    sets = {name: words(text) for name, text in descriptions.items()}
    sets = {name: s for name, s in sets.items() if len(s) >= DUPLICATE_MIN_SHARED}
    df: dict[str, int] = defaultdict(int)
    for s in sets.values():
        for w in s:
            df[w] += 1
    t = DUPLICATE_SIMILARITY
    postings: dict[str, list[str]] = defaultdict(list)
    candidates: set[tuple[str, str]] = set()
    for name in sorted(sets):
        ordered = sorted(sets[name], key=lambda w: (df[w], w))
        # Overlap needed against any partner: Dice >= t implies |A & B| >= t|A| / (2 - t).
        need = max(DUPLICATE_MIN_SHARED, math.ceil(t * len(ordered) / (2 - t) - 1e-9))
        for w in ordered[: len(ordered) - need + 1]:
            for other in postings[w]:
                candidates.add((other, name))
            postings[w].append(name)
    found = []
    for a, b in sorted(candidates):
        shared = len(sets[a] & sets[b])
        score = 2 * shared / (len(sets[a]) + len(sets[b]))
        if shared >= DUPLICATE_MIN_SHARED and score >= t:
            found.append((a, b, round(score, 2)))
    return found
