"""A folder's postings held in memory, for the first recall in a fresh state folder.

Building the persisted index (`termindex`) means writing every memory's row and every
term's posting to SQLite, which costs about as much again as parsing the files. The first
recall of a large folder ranks from the parsed records here instead, and leaves the
writing to a detached process (`IndexedSelector.refresh`). It offers the look-ups of
`TermIndex` that the scorer and the selector make, over the same records, so both rank
alike to the last bit: the same visible memories, the same weights, the same terms.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from operator import methodcaller

from ..store.walk import Stat
from .termindex import Record, shadowed

__all__ = ["FreshIndex", "starting_with"]


def starting_with(ordered: Sequence[str], start: str) -> Iterator[str]:
    """The strings of the sorted `ordered` that start with `start`, in order."""
    at = bisect_left(ordered, start)
    while at < len(ordered) and ordered[at].startswith(start):
        yield ordered[at]
        at += 1


class FreshIndex:
    """Postings, header fields and related terms of parsed files, in memory.

    Postings are gathered per term when the scorer asks for one (a query asks for a few
    dozen), so nothing is inverted for the thousands of terms no query names.
    """

    def __init__(
        self, parsed: Sequence[tuple[Stat, Record]], related: dict[str, list[str]]
    ) -> None:
        memories = {entry[0] for entry, record in parsed if record is not None}
        self._records: dict[int, tuple[str, float, int, tuple[str, str, str | None, str | None]]]
        self._records = {}
        self._docs: list[int] = []
        self._weights: list[dict[str, float]] = []
        for doc, (entry, record) in enumerate(parsed, 1):
            if record is None or shadowed(entry[0], memories):
                continue
            self._records[doc] = (entry[0], entry[4], entry[3], record[0])
            self._docs.append(doc)
            self._weights.append(record[1])
        self._terms = set().union(*self._weights)
        self._postings: dict[str, dict[int, float] | None] = {}
        self._related = related
        self._sorted: list[str] | None = None
        self._reversed: list[str] | None = None
        #: How many memories the postings cover.
        self.documents = len(self._records)

    def posting(self, term: str) -> dict[int, float] | None:
        """Document id -> weight for one stored term; None when no memory has it."""
        if term not in self._postings:
            # Every memory's weight looked up in C; only the loop that keeps the found
            # ones runs in Python (a query asks for a few dozen terms).
            weights = map(methodcaller("get", term), self._weights)
            pairs = zip(self._docs, weights, strict=True)
            found = {doc: w for doc, w in pairs if w is not None}
            self._postings[term] = found or None
        return self._postings[term]

    def has(self, term: str) -> bool:
        """True when some memory has the term."""
        return term in self._terms

    def prefixed(self, word: str) -> Iterator[str]:
        """Stored terms that start with `word`."""
        if self._sorted is None:
            self._sorted = sorted(self._terms)
        return starting_with(self._sorted, word)

    def suffixed(self, word: str) -> Iterator[str]:
        """Stored terms that end with `word`."""
        if self._reversed is None:
            self._reversed = sorted(term[::-1] for term in self._terms)
        return (reverse[::-1] for reverse in starting_with(self._reversed, word[::-1]))

    def related(self) -> dict[str, list[str]]:
        """Term -> related terms."""
        return self._related

    def records(
        self, docs: Iterable[int]
    ) -> dict[int, tuple[str, float, int, tuple[str, str, str | None, str | None]]]:
        """Doc id -> (filename, mtime, size, (name, description, raw_type, updated))."""
        return {doc: self._records[doc] for doc in docs if doc in self._records}
