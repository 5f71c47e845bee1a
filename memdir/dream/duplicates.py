"""Exact and near duplicates among memories of one type, found without a model.

Near means one memory's words are all in the other (up to typos and word endings), and
the other adds only a little: the same note saved twice, once with a line more. Two
memories that share many words but each say something the other does not ("deploys of
the billing service need approval" / "... of the orders service ...") are NOT duplicates:
each has a word of its own. Neither is a pair where the longer one adds a negation.
Rephrasings ("never mock the database" / "tests must hit a real database") are left to
the model pass: telling them apart from distinct rules needs judgement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._words import NEGATIONS, STOP_WORDS, content_words, stem, words

#: The longer memory may add at most this share of its words to still be a duplicate.
MAX_EXTRA_SHARE = 0.4
#: Shorter memories carry too little to call them duplicates safely.
MIN_WORDS = 3
#: Share of the smaller memory's word pairs that must appear in the larger one.
MIN_PAIRS_KEPT = 0.9
_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class Candidate:
    """What duplicate detection needs to know about one memory."""

    file: str
    type: str
    description: str
    body: str
    changed_at: float


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` (both 5+ letters) differ by one edit: a typo, not a new word."""
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1 or a.isdigit() or b.isdigit():
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        # A swap of two neighbouring letters ("depolys"); "export"/"report" is not one.
        i, j = diffs if len(diffs) == 2 else (0, 0)
        return j == i + 1 and a[i] == b[j] and a[j] == b[i]
    if len(a) > len(b):
        a, b = b, a
    return any(a == b[:i] + b[i + 1 :] for i in range(len(b)))


def normalized(text: str) -> str:
    """Text with case, punctuation and spacing evened out (for exact duplicates)."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


@dataclass(frozen=True, slots=True)
class _Shape:
    """A memory's content words, in order and as a set."""

    sequence: tuple[str, ...]
    words: frozenset[str]


def _shape(memory: Candidate) -> _Shape:
    text = f"{memory.description}\n{memory.body}"
    sequence = tuple(stem(w) for w in words(text) if w and w not in STOP_WORDS)
    return _Shape(sequence, frozenset(sequence))


def _bigrams(sequence: Sequence[str], rename: dict[str, str]) -> set[tuple[str, str]]:
    mapped = [rename.get(w, w) for w in sequence]
    return set(zip(mapped, mapped[1:], strict=False))


def is_duplicate(a: Candidate, b: Candidate) -> bool:
    """Whether `a` and `b` are the same memory (exactly, or nearly: see the module doc)."""
    if a.type != b.type:
        return False
    if normalized(a.body) == normalized(b.body) and normalized(a.body):
        return True
    return _near(_shape(a), _shape(b))


def _near(a: _Shape, b: _Shape) -> bool:
    small, large = (a, b) if len(a.words) <= len(b.words) else (b, a)
    if len(small.words) < MIN_WORDS:
        return False
    extra = large.words - small.words
    rename: dict[str, str] = {}
    for word in small.words - large.words:
        partner = next((o for o in sorted(extra) if _one_edit(word, o)), None)
        if partner is None:
            return False  # a word of its own: it says something the other does not
        rename[word] = partner
    extra -= set(rename.values())
    # A typo in the larger one of a word both have ("depolys" next to "deploys").
    typos = {w: o for w in sorted(extra) for o in small.words if _one_edit(w, o)}
    extra -= set(typos)
    if extra & NEGATIONS or len(extra) > MAX_EXTRA_SHARE * len(large.words):
        return False
    # Order matters too: "the alerts service" and "billing alerts" share the word, not
    # the phrase. Nearly every word pair of the smaller one must be in the larger one.
    pairs = _bigrams(small.sequence, rename)
    if not pairs:
        return True
    return len(pairs & _bigrams(large.sequence, typos)) >= MIN_PAIRS_KEPT * len(pairs)


def duplicate_groups(memories: Sequence[Candidate]) -> list[list[Candidate]]:
    """Groups of duplicates, each ordered survivor first: the longest body (then the
    newest). Memories of different types never group, and a group is one survivor with
    the memories each found a duplicate of it: no chains (A like B, B like C, A unlike C)."""
    shapes = {m.file: _shape(m) for m in memories}
    bodies = {m.file: normalized(m.body) for m in memories}

    def rank(m: Candidate) -> tuple[int, float, str]:
        return (-len(m.body.strip()), -m.changed_at, m.file)

    pairs: list[tuple[Candidate, Candidate]] = []
    by_type: dict[str, list[Candidate]] = {}
    for memory in memories:
        by_type.setdefault(memory.type, []).append(memory)
    for group in by_type.values():
        # Pairs must share most words, so an inverted index keeps this far from n^2.
        postings: dict[str, list[int]] = {}
        for i, memory in enumerate(group):
            for word in shapes[memory.file].words:
                postings.setdefault(word, []).append(i)
        for i, memory in enumerate(group):
            mine = shapes[memory.file]
            shared: dict[int, int] = {}
            for word in mine.words:
                for j in postings[word]:
                    if j > i:
                        shared[j] = shared.get(j, 0) + 1
            for j, count in shared.items():
                other = group[j]
                theirs = shapes[other.file]
                exact = bool(bodies[memory.file]) and bodies[memory.file] == bodies[other.file]
                if not exact and count < min(len(mine.words), len(theirs.words)) - 3:
                    continue
                if exact or _near(mine, theirs):
                    pairs.append(tuple(sorted((memory, other), key=rank)))  # type: ignore[arg-type]
    survivors: dict[str, list[Candidate]] = {}
    absorbed: set[str] = set()
    for keep, drop in sorted(pairs, key=lambda p: (rank(p[0]), rank(p[1]))):
        if keep.file in absorbed or drop.file in absorbed or drop.file in survivors:
            continue
        survivors.setdefault(keep.file, [keep]).append(drop)
        absorbed.add(drop.file)
    return [survivors[k] for k in sorted(survivors)]


def distinct_lines(absorbed: str, survivor: str) -> list[str]:
    """Lines of `absorbed` that say something `survivor` does not (kept in a merge)."""
    have = {normalized(line) for line in survivor.splitlines()}
    survivor_words = content_words(survivor)
    out = []
    for line in absorbed.splitlines():
        key = normalized(line)
        if not key or key in have:
            continue
        if content_words(line) <= survivor_words:
            continue
        out.append(line.rstrip())
        have.add(key)
    return out
