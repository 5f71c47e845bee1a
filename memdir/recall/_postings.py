"""The offline selector's documents: each memory's term weights, and postings per term.

A memory's weights depend only on its own text (BM25F with fixed typical field lengths),
so they are computed once per version of a file, kept in memory, and saved to a cache
file for the next process: a hook runs in a new process on every prompt, and stemming
every memory again would cost far more than reading the weights back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..store import cachefile
from ..types import MemoryHeader
from .config import SelectorConfig
from .freshindex import starting_with
from .scoring import related_map, weigh
from .tokenize import Tokenizer

_CACHE_VERSION = "tokens-2"

#: A document's identity: (filename, mtime, size).
Key = tuple[str, float, int]
key_of = attrgetter("filename", "mtime", "size")
_text_of = attrgetter("description", "name", "snippet")


def _key_text(key: Key) -> str:
    return f"{key[0]}\x00{key[1]!r}\x00{key[2]}"


@dataclass(frozen=True, slots=True)
class Doc:
    """One tokenized memory."""

    header: MemoryHeader
    text: tuple[str, str, str]  # what the tokens were made from, to detect changes
    weights: dict[str, float]  # term -> saturated BM25F term frequency, in [0, 1)


class Documents:
    """Tokenized headers under (filename, mtime, size), and the postings built from them.

    A header whose text differs from the cached one is tokenized again, so the cache is
    never stale. Not thread-safe: the selector holds a lock around every use.
    """

    def __init__(
        self, config: SelectorConfig, tokenizer: Tokenizer, *, cache_file: Path | None
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self.cache_file = cache_file
        self.docs: dict[Key, Doc] = {}
        # term -> {document key: that document's weight for the term}
        self.postings: dict[str, dict[Key, float]] = {}
        self.hits = 0
        self.misses = 0
        self._stored: dict[str, list[Any]] | None = None
        self._dirty = False
        # Sorted vocabulary, forwards and with each term reversed (prefix/suffix search).
        self._vocab: tuple[list[str], list[str]] | None = None
        self._related: dict[str, frozenset[str]] | None = None

    def prepare(self, candidates: Sequence[MemoryHeader]) -> list[Key]:
        """Keys of the candidates, tokenizing those not cached or changed."""
        keys = list(map(key_of, candidates))
        get = self.docs.get
        misses = 0
        for key, header in zip(keys, candidates, strict=True):
            doc = get(key)
            # Same name, mtime and size but other text (a rebuilt header, another folder,
            # a coarse clock) must not get stale tokens; comparing strings is cheap, and
            # skipped when the very same header object comes back.
            if doc is None or (doc.header is not header and doc.text != _text_of(header)):
                misses += 1
                self._add(key, self._stored_doc(key, header) or self._tokenize(header))
        self.misses += misses
        self.hits += len(keys) - misses
        if len(self.docs) > 2 * len(keys) + 1024:
            self._prune(set(keys))
        return keys

    # -- the look-ups the scorer makes (`scoring.Postings`) -------------------------

    def posting(self, term: str) -> dict[Key, float] | None:
        """Document -> weight for one stored term."""
        return self.postings.get(term)

    def has(self, term: str) -> bool:
        """True when some document has the term."""
        return term in self.postings

    def prefixed(self, word: str) -> Iterator[str]:
        """Stored terms that start with `word`, in order."""
        yield from starting_with(self.sorted_vocab()[0], word)

    def suffixed(self, word: str) -> Iterator[str]:
        """Stored terms that end with `word`, in the order of their reversed spelling."""
        for reverse in starting_with(self.sorted_vocab()[1], word[::-1]):
            yield reverse[::-1]

    def related(self) -> dict[str, frozenset[str]]:
        """Term -> the terms related to it."""
        return self.related_terms()

    def sorted_vocab(self) -> tuple[list[str], list[str]]:
        """Every stored term sorted, and every stored term reversed and sorted."""
        if self._vocab is None:
            self._vocab = sorted(self.postings), sorted(t[::-1] for t in self.postings)
        return self._vocab

    def related_terms(self) -> dict[str, frozenset[str]]:
        """Term -> the terms related to it (from `_vocab.RELATED_TERMS`, stemmed)."""
        # Built on first use: stemming the vocabulary costs tens of milliseconds, so a
        # saved copy is used when there is one.
        if self._related is None and self.cache_file is not None:
            self._load_stored()
        if self._related is None:
            self._dirty = True
            self._related = related_map(self.tokenizer)
        return self._related

    def save(self) -> None:
        """Write the token cache for the next process, if anything changed."""
        if self.cache_file is None:
            return
        stored = self._load_stored()
        if not self._dirty and len(stored) == len(self.docs):
            return
        docs = {_key_text(k): [*d.text, d.weights] for k, d in self.docs.items()}
        related = {t: sorted(r) for t, r in (self._related or {}).items()}
        self._dirty = False
        self._stored = docs
        cachefile.save(
            self.cache_file,
            _CACHE_VERSION,
            {"config": repr(self.config), "docs": docs, "related": related},
        )

    def _load_stored(self) -> dict[str, list[Any]]:
        """Documents (and the related-term map) saved by an earlier process."""
        if self._stored is None:
            self._stored = {}
            data = cachefile.load(self.cache_file, _CACHE_VERSION)
            if isinstance(data, dict) and data.get("config") == repr(self.config):
                self._stored = data.get("docs") or {}
                related = data.get("related")
                if self._related is None and isinstance(related, dict):
                    self._related = {t: frozenset(r) for t, r in related.items()}
        return self._stored

    def _stored_doc(self, key: Key, header: MemoryHeader) -> Doc | None:
        """The document saved by an earlier process, when its text is unchanged."""
        if self.cache_file is None:
            return None
        record = self._load_stored().get(_key_text(key))
        text = _text_of(header)
        if record is None or tuple(record[:3]) != text:
            self._dirty = True  # about to be tokenized: worth saving for the next process
            return None
        return Doc(header=header, text=text, weights=record[3])

    def _tokenize(self, header: MemoryHeader) -> Doc:
        weights = weigh(
            self.config,
            self.tokenizer,
            description=header.description,
            name=header.name,
            filename=header.filename,
            snippet=header.snippet,
        )
        return Doc(header=header, text=_text_of(header), weights=weights)

    def _add(self, key: Key, doc: Doc) -> None:
        old = self.docs.get(key)
        if old is not None:
            self._unindex(key, old.weights)
        self.docs[key] = doc
        postings = self.postings
        for term, weight in doc.weights.items():
            posting = postings.get(term)
            if posting is None:
                postings[term] = {key: weight}
                self._vocab = None
            else:
                posting[key] = weight

    def _unindex(self, key: Key, terms: Iterable[str]) -> None:
        for term in terms:
            posting = self.postings.get(term)
            if posting is not None:
                posting.pop(key, None)
                if not posting:
                    del self.postings[term]
                    self._vocab = None

    def _prune(self, live: set[Key]) -> None:
        """Forget documents no longer offered (old versions of edited files)."""
        for key in [k for k in self.docs if k not in live]:
            self._unindex(key, self.docs.pop(key).weights)
