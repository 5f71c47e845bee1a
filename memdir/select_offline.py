"""Offline selector: rank memory headers against a prompt with no network and no model.

Used when no model is configured, when the model call fails, and as a prefilter that
keeps the model's manifest bounded on large stores.

Ranking is BM25F over four fields of a `MemoryHeader`, weighted description > name >
filename stem > body snippet (the description is the line written for selection; the
snippet is long and noisy). Words are lowercased, split on camelCase, snake_case and
punctuation, stop words are dropped and the rest stemmed with Snowball (English). Each
query word may also match, at a discount, its related terms (a hand-written map of
general software vocabulary in `_offline_vocab`) and words it is a prefix of, or that are
a prefix of it ("auth" / "authentication"); a query word scores through its single best
variant so synonyms never double count.

Threshold. A BM25 score grows with the store (idf grows with log N) and with the query's
length, so a raw cut-off means different things on 20 and 20,000 memories. The score is
therefore normalised by the query's own best case: the sum, over its words, of the idf of
the word itself. ``match = score / best_case`` is roughly "the share of the query's
information found in this memory". A memory is returned only when

- ``match >= min_match`` (0.2 by default): less is typically one incidental word, and
- its score is at least ``relative_cutoff`` (0.35) of the best memory's: what trails far
  behind the leader is usually noise riding on one shared word.

Both values were chosen on the tuning half of ``benchmarks/recall_quality`` (see
``benchmarks/bench_recall_quality.py``) as the point that keeps recall while answering
nothing on prompts that need no memory; the other half was held out to check them.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import snowballstemmer

from ._offline_vocab import RELATED_TERMS, STOP_WORDS, TYPE_HINTS
from .types import MemoryHeader

__all__ = ["CacheInfo", "OfflineSelector", "Scored", "SelectorConfig", "is_selectable_query"]

# Letters and digits, with inner apostrophes kept so "don't" stays one word.
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])")
_MIN_PREFIX = 4
_FIELDS = 4  # description, name, filename stem, body snippet

_Key = tuple[str, str, float, int]


@dataclass(frozen=True, slots=True)
class Scored:
    """One ranked memory: its header, its score and the stored words that matched."""

    header: MemoryHeader
    score: float
    matched_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """How the tokenized-document cache has been used (like `functools.lru_cache`)."""

    hits: int
    misses: int
    size: int


@dataclass(frozen=True, slots=True)
class SelectorConfig:
    """Tuning knobs; the defaults are the evaluated ones. Weights are per field:
    (description, name, filename stem, body snippet)."""

    field_weights: tuple[float, float, float, float] = (3.0, 2.0, 1.5, 1.0)
    field_b: tuple[float, float, float, float] = (0.5, 0.5, 0.3, 0.75)
    k1: float = 1.2
    stemming: bool = True
    stop_words: bool = True
    related_weight: float = 0.5
    prefix_weight: float = 0.4
    type_boost: float = 1.2
    min_match: float = 0.2
    relative_cutoff: float = 0.35


def is_selectable_query(query: str) -> bool:
    """True when the query has at least two words: one word carries too little to select on."""
    return len(_WORD_RE.findall(query)) >= 2


@dataclass(frozen=True, slots=True)
class _Doc:
    name: str
    description: str
    snippet: str
    tf: dict[str, tuple[int, int, int, int]]
    lengths: tuple[int, int, int, int]


class OfflineSelector:
    """Deterministic BM25F ranking of memory headers, with a per-file token cache.

    Tokenized headers are cached under (path, filename, mtime, size), so repeated calls
    on an unchanged store only tokenize the query. A changed file has a new key and is
    tokenized again. The instance is safe to share between threads.
    """

    def __init__(self, config: SelectorConfig | None = None) -> None:
        self.config = config or SelectorConfig()
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str] = {}
        self._related = self._build_related()
        self._docs: dict[_Key, _Doc] = {}
        self._postings: dict[str, set[_Key]] = {}
        self._vocab: list[str] | None = None
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------

    def rank(
        self, query: str, candidates: Sequence[MemoryHeader], *, limit: int = 5
    ) -> list[Scored]:
        """The memories that match `query` well, best first, at most `limit`.

        Returns an empty list for one-word queries, queries of stop words only, and
        when nothing clears the threshold (see the module docstring).
        """
        if limit <= 0 or not candidates or not is_selectable_query(query):
            return []
        cfg = self.config
        with self._lock:
            scores, best_case = self._score(query, candidates)
        if not scores or best_case <= 0:
            return []
        top = max(s for s, _ in scores.values())
        floor = max(cfg.min_match * best_case, cfg.relative_cutoff * top)
        kept = [
            Scored(candidates[i], round(s, 6), terms)
            for i, (s, terms) in scores.items()
            if s >= floor
        ]
        kept.sort(key=lambda r: (-r.score, -_recency(r.header), r.header.filename))
        return kept[:limit]

    def prefilter(
        self, query: str, candidates: Sequence[MemoryHeader], *, limit: int = 200
    ) -> list[MemoryHeader]:
        """The `limit` candidates most worth showing a model for `query`.

        With no more than `limit` candidates, all of them come back in their original
        order. Otherwise the best `limit` by score (no threshold), newest first among
        equal scores, so a query that matches nothing yields the most recent memories.
        """
        if len(candidates) <= limit:
            return list(candidates)
        if limit <= 0:
            return []
        with self._lock:
            scores, _ = self._score(query, candidates)
        order = sorted(
            range(len(candidates)),
            key=lambda i: (
                -round(scores[i][0], 6) if i in scores else 0.0,
                -_recency(candidates[i]),
                i,
            ),
        )
        return [candidates[i] for i in order[:limit]]

    def cache_info(self) -> CacheInfo:
        """Hits and misses of the token cache since this selector was created."""
        return CacheInfo(self._hits, self._misses, len(self._docs))

    # -- scoring ------------------------------------------------------------------

    def _score(
        self, query: str, candidates: Sequence[MemoryHeader]
    ) -> tuple[dict[int, tuple[float, tuple[str, ...]]], float]:
        """Raw scores of the matching candidates (by index) and the query's best case."""
        cfg = self.config
        keys = self._prepare(candidates)
        index: dict[_Key, int] = {}
        for i, key in enumerate(keys):
            index.setdefault(key, i)
        words = list(dict.fromkeys(self._terms(query)))
        if not words:
            return {}, 0.0
        n = len(index)
        docs = [self._docs[k] for k in index]
        avg = [max(sum(d.lengths[f] for d in docs) / n, 1.0) for f in range(_FIELDS)]
        norms = [
            (cfg.field_weights[f], 1.0 - cfg.field_b[f], cfg.field_b[f] / avg[f])
            for f in range(_FIELDS)
        ]
        totals: dict[int, float] = {}
        matched: dict[int, list[str]] = {}
        best_case = 0.0
        for word in words:
            own = self._postings.get(word, ())
            best_case += _idf(n, sum(1 for k in own if k in index))
            best: dict[int, tuple[float, str]] = {}
            for term, weight in self._variants(word):
                posting = self._postings.get(term)
                if not posting:
                    continue
                hits = [index[k] for k in posting if k in index]
                if not hits:
                    continue
                idf = weight * _idf(n, len(hits))
                for i in hits:
                    doc = self._docs[keys[i]]
                    counts, lengths = doc.tf[term], doc.lengths
                    tf = 0.0
                    for f in range(_FIELDS):
                        if counts[f]:
                            w, one_b, b_avg = norms[f]
                            tf += w * counts[f] / (one_b + b_avg * lengths[f])
                    value = idf * tf / (cfg.k1 + tf)
                    if value > best.get(i, (0.0, ""))[0]:
                        best[i] = (value, term)
            # Adding in query-word order keeps float sums identical across runs.
            for i in sorted(best):
                value, term = best[i]
                totals[i] = totals.get(i, 0.0) + value
                matched.setdefault(i, []).append(term)
        boosted = self._hinted_type(query)
        out: dict[int, tuple[float, tuple[str, ...]]] = {}
        for i, total in totals.items():
            if boosted is not None and candidates[i].type == boosted:
                total *= cfg.type_boost
            out[i] = (total, tuple(matched[i]))
        return out, best_case

    def _variants(self, word: str) -> list[tuple[str, float]]:
        """The stored terms a query word may match, each with its weight."""
        cfg = self.config
        found: dict[str, float] = {word: 1.0}
        if cfg.related_weight > 0:
            for term in self._related.get(word, ()):
                found.setdefault(term, cfg.related_weight)
        if cfg.prefix_weight > 0 and len(word) >= _MIN_PREFIX:
            vocab = self._sorted_vocab()
            at = bisect_left(vocab, word)
            while at < len(vocab) and vocab[at].startswith(word):
                found.setdefault(vocab[at], cfg.prefix_weight)
                at += 1
            for cut in range(_MIN_PREFIX, len(word)):
                if word[:cut] in self._postings:
                    found.setdefault(word[:cut], cfg.prefix_weight)
        return sorted(found.items())

    def _hinted_type(self, query: str) -> str | None:
        if self.config.type_boost == 1.0:
            return None
        lowered = " ".join(_WORD_RE.findall(query.lower().replace("’", "'")))
        for type_name, phrases in TYPE_HINTS:
            if any(p in lowered for p in phrases):
                return type_name
        return None

    # -- tokenizing and the cache -------------------------------------------------

    def _prepare(self, candidates: Sequence[MemoryHeader]) -> list[_Key]:
        """Cache keys of the candidates, tokenizing those not cached or changed."""
        keys: list[_Key] = []
        for header in candidates:
            key = (str(header.path), header.filename, header.mtime, header.size)
            doc = self._docs.get(key)
            # A header rebuilt with the same mtime and size but new text (tests, clock
            # skew) must not be served stale tokens; comparing strings is cheap.
            if (
                doc is None
                or doc.description != header.description
                or doc.name != header.name
                or doc.snippet != header.snippet
            ):
                self._misses += 1
                self._add(key, self._tokenize(header))
            else:
                self._hits += 1
            keys.append(key)
        if len(self._docs) > 2 * len(keys) + 1024:
            self._prune(set(keys))
        return keys

    def _tokenize(self, header: MemoryHeader) -> _Doc:
        fields = (header.description, header.name, header.stem, header.snippet)
        tf: dict[str, list[int]] = {}
        lengths = [0] * _FIELDS
        for f, text in enumerate(fields):
            for term in self._terms(text):
                tf.setdefault(term, [0] * _FIELDS)[f] += 1
                lengths[f] += 1
        return _Doc(
            name=header.name,
            description=header.description,
            snippet=header.snippet,
            tf={t: (c[0], c[1], c[2], c[3]) for t, c in tf.items()},
            lengths=(lengths[0], lengths[1], lengths[2], lengths[3]),
        )

    def _add(self, key: _Key, doc: _Doc) -> None:
        old = self._docs.get(key)
        if old is not None:
            self._unindex(key, old.tf)
        self._docs[key] = doc
        for term in doc.tf:
            if term not in self._postings:
                self._vocab = None
            self._postings.setdefault(term, set()).add(key)

    def _unindex(self, key: _Key, terms: Iterable[str]) -> None:
        for term in terms:
            posting = self._postings.get(term)
            if posting is not None:
                posting.discard(key)
                if not posting:
                    del self._postings[term]
                    self._vocab = None

    def _prune(self, live: set[_Key]) -> None:
        """Forget documents no longer offered (old versions of edited files)."""
        for key in [k for k in self._docs if k not in live]:
            self._unindex(key, self._docs.pop(key).tf)

    def _sorted_vocab(self) -> list[str]:
        if self._vocab is None:
            self._vocab = sorted(self._postings)
        return self._vocab

    def _terms(self, text: str) -> list[str]:
        """Index terms of `text`: words split, lowercased, stop words out, stemmed."""
        cfg = self.config
        out: list[str] = []
        for raw in _WORD_RE.findall(text):
            parts = _CAMEL_RE.split(raw)
            words = [raw] if len(parts) == 1 else [raw, *parts]
            for word in words:
                word = word.lower().replace("'", "").replace("’", "")
                if len(word) < 2 or (cfg.stop_words and word in STOP_WORDS):
                    continue
                out.append(self._stem(word) if cfg.stemming else word)
        return out

    def _stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stem = word if any(c.isdigit() for c in word) else self._stemmer.stemWord(word)
            self._stems[word] = stem
        return stem

    def _build_related(self) -> dict[str, frozenset[str]]:
        related: dict[str, set[str]] = {}
        for line in RELATED_TERMS:
            group = {t for w in line.split() for t in self._terms(w)}
            for term in group:
                related.setdefault(term, set()).update(group - {term})
        return {t: frozenset(r) for t, r in related.items()}


def _idf(n: int, df: int) -> float:
    """BM25's idf, always positive; an unseen word gets the highest value."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _recency(header: MemoryHeader) -> float:
    """Seconds since the epoch of the memory's last change (`updated:` wins over mtime)."""
    if header.updated is not None:
        return datetime.combine(header.updated, time(), tzinfo=UTC).timestamp()
    return header.mtime
