"""The offline selector over the persisted index: what a fresh process ranks with.

Same scores, same bar and same order as `OfflineSelector.rank` over a scan of the same
folder (the arithmetic is `scoring.Scorer` in both), but nothing is built per memory:
postings are read for the query's terms only, and header fields for the memories that
are returned (and those tied with them, to order ties by date and name).

Standard library only at import (plus the tokenizer and `sqlite3`): a changed file's
flat header is read by `store.headfields`; one that needs YAML goes through the store's
scanner, loaded then.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Collection

from ..store.walk import Stat, stat_markdown
from .config import SelectorConfig
from .freshindex import FreshIndex
from .scoring import Scorer, related_map, weigh
from .termindex import Record, TermIndex
from .tokenize import Tokenizer, is_selectable_query

__all__ = ["IndexedSelector", "Pick"]

#: One ranked memory: (filename, path, mtime, size, (name, description, raw_type,
#: updated), score, stored terms matched, query words matched, clears the bar).
Pick = tuple[
    str,
    str,
    float,
    int,
    tuple[str, str, "str | None", "str | None"],
    float,
    tuple[str, ...],
    tuple[str, ...],
    bool,
]


class IndexedSelector:
    """Ranks one memory folder's memories from its persisted index (`termindex`).

    The first `refresh` of a folder of at least `write_aside_from` files, with no index
    yet, ranks from the parsed files in memory (`FreshIndex`) and writes the index in a
    detached process (`detach.fork_detached`), where this platform allows it: the same
    answer, without waiting for the writing. Every later refresh reads the index.
    """

    #: Files from which a first build writes its index aside (below, writing costs little).
    write_aside_from = 500

    def __init__(self, root: str, *, index_file: str, config: SelectorConfig | None = None) -> None:
        self.root = os.path.abspath(root)
        self.config = config or SelectorConfig()
        self._tokenizer = Tokenizer(
            stemming=self.config.stemming, stop_words=self.config.stop_words
        )
        self._scorer = Scorer(self.config, self._tokenizer)
        self.index = TermIndex(index_file, config_key=repr(self.config))
        #: Files parsed by the last `refresh` (0 when the folder had not changed).
        self.parsed = 0
        #: Set by a refresh that ranks from memory while the index is written aside.
        self.fresh: FreshIndex | None = None

    def close(self) -> None:
        """Close the index file."""
        self.index.close()

    def refresh(self) -> None:
        """Bring the index in line with the folder (walk and stat; parse what changed)."""
        entries = stat_markdown(self.root)
        self.fresh = None
        try:
            if not self._write_aside(entries):
                self._refresh(entries)
        except sqlite3.DatabaseError:
            self._recover(entries)

    def _write_aside(self, entries: list[Stat]) -> bool:
        """A first build of a large folder: parse here, write the index in a detached
        process; False (nothing done) when the index exists or this cannot be done."""
        if len(entries) < self.write_aside_from or not self.index.empty():
            return False
        try:
            import fcntl
        except ImportError:
            return False  # no fork there either
        file, key = self.index.file, self.index.config_key
        # Held by the writer until it is done (the lock goes with the open file into the
        # detached process): a recall arriving meanwhile waits for the index instead of
        # building it a second time.
        try:
            lock = os.open(file + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return False  # no place for it: the index is kept in memory (see `TermIndex`)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fcntl.flock(lock, fcntl.LOCK_SH)  # wait for the other writer to finish
                return False
            if not self.index.empty():
                return False  # written while we were looking
            self._build_aside(entries, file, key)
            return True
        finally:
            os.close(lock)

    def _build_aside(self, entries: list[Stat], file: str, key: str) -> None:
        """Parse every file (half of them in a forked copy, where there are two cores),
        keep them in memory to rank from, and write the index in a detached process."""
        from ..detach import fork_detached, map_forked

        # No open connection may cross a fork (its locks belong to this process).
        self.index.close()
        try:
            related: dict[str, list[str]] = {}

            def relate() -> None:  # while the copy parses its half
                related.update(_related(self._tokenizer))

            records = map_forked(
                lambda e: self._parse(e[1], e[0], e[4], e[3], e[5]), entries, meanwhile=relate
            )
            parsed = list(zip(entries, records, strict=True))

            def write() -> None:
                by_name = {entry[0]: record for entry, record in parsed}
                index = TermIndex(file, config_key=key)
                try:
                    index.sync(entries, lambda _p, filename, _m, _s, _l: by_name[filename])
                    if not index.has_related():
                        index.store_related(related)
                finally:
                    index.close()

            if not fork_detached(write):
                write()
        finally:
            self.index = TermIndex(file, config_key=key)
        self.fresh = FreshIndex(parsed, related)
        self.parsed = len(parsed)

    def _recover(self, entries: list[Stat]) -> None:
        """Build the index afresh: on disk, else (the file keeps failing) in memory."""
        try:
            self.index.rebuild()
            self._refresh(entries)
        except sqlite3.DatabaseError:
            self.index.in_memory()
            self._refresh(entries)

    def _refresh(self, entries: list[Stat]) -> None:
        self.parsed = self.index.sync(entries, self._parse)
        if not self.index.has_related():
            self.index.store_related(_related(self._tokenizer))

    def rank(
        self, query: str, *, limit: int = 5, exclude: Collection[str] = (), fill: bool = False
    ) -> list[Pick]:
        """The memories that match `query` well, best first, at most `limit`.

        As `OfflineSelector.rank` over the folder's scan (see there); call `refresh`
        first. A damaged index is rebuilt and the query asked again.
        """
        if limit <= 0 or not is_selectable_query(query):
            return []
        try:
            return self._rank(query, limit, exclude, fill)
        except sqlite3.DatabaseError:
            # Corrupt or truncated in a way only reading a posting shows.
            self._recover(stat_markdown(self.root))
            return self._rank(query, limit, exclude, fill)

    def _rank(self, query: str, limit: int, exclude: Collection[str], fill: bool) -> list[Pick]:
        index: TermIndex | FreshIndex = self.fresh or self.index
        scorer = self._scorer
        size = index.documents
        if size == 0:
            return []
        scores, concepts = scorer.score(query, index, documents=size)
        if not scores:
            return []
        labels = scorer.labels(query, concepts)
        matched: dict[object, tuple[str, ...]] = {}

        def terms(key: object) -> tuple[str, ...]:
            found = matched.get(key)
            if found is None:
                found = matched[key] = scorer.matched(key, concepts, index)
            return found

        passing = scorer.passing(scores, terms, size)
        # Sorted by bar and score first; dates and names are read only for the groups
        # of equal standing that decide what is returned.
        groups: dict[tuple[bool, float], list[int]] = {}
        for key, score in scores.items():
            if fill or key in passing:
                groups.setdefault((key not in passing, -round(score, 6)), []).append(key)  # type: ignore[arg-type]
        kept: list[Pick] = []
        root = self.root
        for rank_key in sorted(groups):
            records = index.records(groups[rank_key])
            ordered = sorted(records.items(), key=lambda item: (-_changed_at(item[1]), item[1][0]))
            for doc, (filename, mtime, size_, header) in ordered:
                path = os.path.join(root, *filename.split("/"))
                if exclude and path in exclude:
                    continue
                found = terms(doc)
                words = tuple(dict.fromkeys(labels.get(t, t) for t in found))
                confident = doc in passing
                score = round(scores[doc], 6)
                kept.append((filename, path, mtime, size_, header, score, found, words, confident))
                if len(kept) == limit:
                    return kept
        return kept

    def _parse(self, path: str, filename: str, mtime: float, size: int, link: bool) -> Record:
        """A changed file's header fields and term weights; None when it is no memory."""
        # Loaded here: a warm recall parses nothing and need not compile their patterns.
        from ..store.filetext import read_memory_text
        from ..store.headfields import HEAD_BYTES, header_fields

        if link:
            return None  # never read through a link (the scan reports it)
        text, _ = read_memory_text(path, size=size, limit=HEAD_BYTES)
        if text is None:
            return None
        fields = header_fields(text, filename)
        if fields is None:
            fields = self._parse_yaml(path, filename, text, mtime=mtime, size=size)
            if fields is None:
                return None
        name, description, raw_type, updated, snippet = fields
        weights = weigh(
            self.config,
            self._tokenizer,
            description=description,
            name=name,
            filename=filename,
            snippet=snippet,
        )
        return (name, description, raw_type, updated), weights

    @staticmethod
    def _parse_yaml(
        path: str, filename: str, text: str, *, mtime: float, size: int
    ) -> tuple[str, str, str | None, str | None, str] | None:
        """Header fields through the store's scanner: a block that needs YAML, or has a
        problem (then None)."""
        from pathlib import Path

        from ..store.headfields import HEADER_LINES
        from ..store.scan import parse_header

        head = "\n".join(text.split("\n", HEADER_LINES)[:HEADER_LINES])
        header, _problem = parse_header(Path(path), filename, head, mtime=mtime, size=size)
        if header is None:
            return None
        updated = header.updated.isoformat() if header.updated else None
        return header.name, header.description, header.raw_type, updated, header.snippet


def _related(tokenizer: Tokenizer) -> dict[str, list[str]]:
    """The related-term map as the index keeps it (sorted lists, for `marshal`)."""
    return {term: sorted(others) for term, others in related_map(tokenizer).items()}


def _changed_at(record: tuple[str, float, int, tuple[str, str, str | None, str | None]]) -> float:
    """As `MemoryHeader.changed_at`: the ``updated:`` date at local midnight, else mtime."""
    updated = record[3][3]
    if updated is None:
        return record[1]
    year, month, day = (int(part) for part in updated.split("-"))
    return time.mktime((year, month, day, 0, 0, 0, 0, 0, -1))
