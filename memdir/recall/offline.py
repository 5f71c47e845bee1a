"""Offline selector: rank memory headers against a prompt with no network and no model.

Used when no model is configured, when the model call fails, and as a prefilter that
keeps the model's manifest bounded on large stores.

Ranking is BM25F over four fields of a `MemoryHeader`, weighted description > name >
filename stem > body snippet (the description is the line written for selection; the
snippet is long and noisy). Words are split on punctuation, snake_case and camelCase,
lowercased, stop words dropped and the rest stemmed with Snowball (English). A query
word also matches, at a discount, its related terms (general software vocabulary in
`_offline_vocab`) and stored words that start or end with it or that it starts with
("auth" / "authentication", "imports" / "goimports"); each query word scores through
its best variant only, so synonyms never count twice. Two adjacent query words also
match their compound ("heat pump" / "heatpump").

Field lengths are normalised against fixed typical lengths rather than the mean of the
current candidates: a memory's term weights then do not depend on what else is offered,
so they are computed once, cached with its tokens, and ranking touches only the memories
that share a term with the query.

Scores are expressed in units of the idf of a term found in exactly one candidate, so
they read alike on 5 and 50,000 memories: roughly, how many distinctive query words a
memory matches fully (a word only in the body, or matched through a related term,
counts for less). Idf is computed as if `background` (50) unrelated memories were also
present, so a word shared by every memory of a tiny store still counts.

Threshold: a memory is returned when

- it matches at least two query words and scores ``min_score`` (0.55) or more, or it
  matches one word and scores ``min_score_single`` (0.9) or more: one shared word is
  weak evidence (a prompt whose only known word is "deploy" says no more than the
  one-word prompt "deploy"), two independent ones are strong; and
- it scores at least ``relative_cutoff`` (0.5) of the best memory's score: what trails
  far behind the leader is mostly noise riding on one common word.

The values were chosen on the tuning half of ``benchmarks/recall_quality`` from the
middle of the ranges where recall and the no-answer accuracy stay flat, then checked
on the held-out half; ``benchmarks/bench_recall_quality.py`` prints both halves.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import snowballstemmer

from ..store import cachefile
from ..types import MemoryHeader
from ._vocab import IRREGULAR_FORMS, RELATED_TERMS, STOP_WORDS

__all__ = ["CacheInfo", "OfflineSelector", "Scored", "SelectorConfig", "is_selectable_query"]

# Version numbers ("4.1.3", "1.0") stay whole; otherwise runs of letters and digits.
_WORD_RE = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")
# A word as a person counts it: "don't" is one word, "CI/CD" two.
_COUNTED_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Split points inside camelCase and PascalCase ("validateSettlement", "HTTPServer").
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_MIN_PREFIX = 4
_CACHE_VERSION = "tokens-1"
_FIELDS = 4  # description, name, filename stem, body snippet

_Key = tuple[str, float, int]
_key_of = attrgetter("filename", "mtime", "size")


def _key_text(key: _Key) -> str:
    return f"{key[0]}\x00{key[1]!r}\x00{key[2]}"


_text_of = attrgetter("description", "name", "snippet")


@dataclass(frozen=True, slots=True)
class Scored:
    """One ranked memory: its header, its score and the stored terms that matched."""

    header: MemoryHeader
    score: float
    matched_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """How the token cache has been used (in the manner of `functools.lru_cache`)."""

    hits: int
    misses: int
    size: int


@dataclass(frozen=True, slots=True)
class SelectorConfig:
    """Tuning knobs; the defaults are the evaluated ones.

    Per-field tuples are ordered (description, name, filename stem, body snippet).
    `typical_lengths` are field lengths in terms for an ordinary memory file.
    """

    field_weights: tuple[float, float, float, float] = (3.0, 2.0, 1.5, 1.0)
    field_b: tuple[float, float, float, float] = (0.5, 0.5, 0.3, 0.75)
    typical_lengths: tuple[float, float, float, float] = (12.0, 4.0, 3.0, 40.0)
    k1: float = 1.2
    stemming: bool = True
    stop_words: bool = True
    related_weight: float = 0.5
    prefix_weight: float = 0.4
    suffix_weight: float = 0.4
    compounds: bool = True
    background: int = 50
    min_score: float = 0.55
    min_score_single: float = 0.9
    relative_cutoff: float = 0.5


def is_selectable_query(query: str) -> bool:
    """True when the query has at least two words: one word carries too little to select on."""
    return len(_COUNTED_WORD_RE.findall(query)) >= 2


@dataclass(frozen=True, slots=True)
class _Doc:
    header: MemoryHeader
    text: tuple[str, str, str]  # what the tokens were made from, to detect changes
    weights: dict[str, float]  # term -> saturated BM25F term frequency, in [0, 1)


class OfflineSelector:
    """Deterministic BM25F ranking of memory headers, with a per-file token cache.

    Tokenized headers are cached under (filename, mtime, size); a header whose text
    differs from the cached one is tokenized again, so the cache is never stale. The
    instance is safe to share between threads.
    """

    def __init__(
        self, config: SelectorConfig | None = None, *, cache_file: Path | None = None
    ) -> None:
        self.config = config or SelectorConfig()
        # Tokens saved between processes: a hook runs in a new process on every prompt,
        # and stemming every memory again would cost far more than reading them back.
        self.cache_file = cache_file
        self._stored: dict[str, list[Any]] | None = None
        self._dirty = False
        self._stemmer = snowballstemmer.stemmer("english")
        self._word_terms: dict[str, tuple[str, ...]] = {}
        self._docs: dict[_Key, _Doc] = {}
        # term -> {document key: that document's weight for the term}
        self._postings: dict[str, dict[_Key, float]] = {}
        # Sorted vocabulary, forwards and with each term reversed (prefix/suffix search).
        self._vocab: tuple[list[str], list[str]] | None = None
        self._related: dict[str, frozenset[str]] | None = None
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------

    def rank(
        self, query: str, candidates: Sequence[MemoryHeader], *, limit: int = 5
    ) -> list[Scored]:
        """The memories that match `query` well, best first, at most `limit`.

        Returns an empty list for one-word queries, queries of stop words only, and
        when nothing clears the threshold (see the module docstring). Equal scores are
        ordered newest first, then by filename.
        """
        if limit <= 0 or not candidates or not is_selectable_query(query):
            return []
        cfg = self.config
        with self._lock:
            keys, scores, concepts = self._score(query, candidates)
            if not scores:
                return []
            floor = max(cfg.relative_cutoff * max(scores.values()), cfg.min_score)
            passing = {k for k, score in scores.items() if score >= floor}
            first: dict[_Key, int] = {}
            for i, key in enumerate(keys):
                if key in passing:
                    first.setdefault(key, i)
            kept = []
            for key, i in first.items():
                terms = self._matched(key, concepts)
                if len(terms) > 1 or scores[key] >= cfg.min_score_single:
                    kept.append(Scored(candidates[i], round(scores[key], 6), terms))
        kept.sort(key=lambda r: (-r.score, -_changed_at(r.header), r.header.filename))
        return kept[:limit]

    def prefilter(
        self, query: str, candidates: Sequence[MemoryHeader], *, limit: int = 200
    ) -> list[MemoryHeader]:
        """The `limit` candidates most worth showing a model for `query`.

        With no more than `limit` candidates, all of them come back in their original
        order. Otherwise the best `limit` by score with no threshold, best first, newest
        first among equal scores, so memories that match nothing fill up by recency.
        """
        if len(candidates) <= limit:
            return list(candidates)
        if limit <= 0:
            return []
        with self._lock:
            keys, scores, _ = self._score(query, candidates)
        matching = sorted(
            (i for i, key in enumerate(keys) if key in scores),
            key=lambda i: (-round(scores[keys[i]], 6), -_changed_at(candidates[i]), i),
        )[:limit]
        rest = heapq.nsmallest(
            limit - len(matching),
            (i for i, key in enumerate(keys) if key not in scores),
            key=lambda i: (-_changed_at(candidates[i]), i),
        )
        return [candidates[i] for i in matching + rest]

    def cache_info(self) -> CacheInfo:
        """Hits and misses of the token cache since this selector was created."""
        return CacheInfo(self._hits, self._misses, len(self._docs))

    # -- scoring ------------------------------------------------------------------

    def _score(
        self, query: str, candidates: Sequence[MemoryHeader]
    ) -> tuple[list[_Key], dict[_Key, float], list[list[tuple[str, float]]]]:
        """Candidate keys, the score of each key sharing a term with the query, and the
        query's concepts as (stored term, idf-weighted factor) lists.

        The unit is the idf of a term found in exactly one candidate, so scores read
        the same on small and large stores: about 1 per distinctive query word that a
        memory matches fully.
        """
        keys = self._prepare(candidates)
        offered = set(keys)
        # Usually the candidates are exactly the cached documents: no filtering needed.
        everything = len(offered) == len(self._docs)
        # Specificity is judged as if unrelated memories were also there: in a store of
        # three, a word all three share still tells them apart from everything else.
        n = len(offered) + self.config.background
        words = list(dict.fromkeys(self._terms(query)))
        groups = [self._variants(w) for w in words]
        if self.config.compounds:
            groups += [[(c, 1.0)] for c in self._compounds(query, words)]
        unit = _idf(n, 1)
        totals: dict[_Key, float] = {}
        concepts: list[list[tuple[str, float]]] = []
        for variants in groups:
            best: dict[_Key, float] = {}
            factors: list[tuple[str, float]] = []
            for term, weight in variants:
                posting = self._postings.get(term)
                if not posting:
                    continue
                if everything:
                    hits: dict[_Key, float] = posting
                else:
                    hits = {k: w for k, w in posting.items() if k in offered}
                    if not hits:
                        continue
                factor = weight * _idf(n, len(hits)) / unit
                factors.append((term, factor))
                if not best:
                    best = {k: factor * w for k, w in hits.items()}
                    continue
                get = best.get
                for k, w in hits.items():
                    value = factor * w
                    if value > get(k, 0.0):
                        best[k] = value
            concepts.append(factors)
            # Adding concept by concept keeps every float sum in the same order.
            get = totals.get
            for k, value in best.items():
                totals[k] = get(k, 0.0) + value
        return keys, totals, concepts

    def _matched(self, key: _Key, concepts: list[list[tuple[str, float]]]) -> tuple[str, ...]:
        """The stored term through which each query concept matched this document."""
        weights = self._docs[key].weights
        out = []
        for factors in concepts:
            value, term = max(((f * weights.get(t, 0.0), t) for t, f in factors), default=(0, ""))
            if value > 0:
                out.append(term)
        return tuple(out)

    def _variants(self, word: str) -> list[tuple[str, float]]:
        """The stored terms a query word may match, each with its weight."""
        cfg = self.config
        found: dict[str, float] = {word: 1.0}
        if cfg.related_weight > 0:
            for term in self._related_terms().get(word, ()):
                found.setdefault(term, cfg.related_weight)
        if len(word) < _MIN_PREFIX:
            return sorted(found.items())
        vocab, backwards = self._sorted_vocab()
        if cfg.prefix_weight > 0:
            at = bisect_left(vocab, word)
            while at < len(vocab) and vocab[at].startswith(word):
                found.setdefault(vocab[at], cfg.prefix_weight)
                at += 1
            for cut in range(_MIN_PREFIX, len(word)):
                if word[:cut] in self._postings:
                    found.setdefault(word[:cut], cfg.prefix_weight)
        if cfg.suffix_weight > 0:
            # Tool and product names glue words together: "goimports", "testcontainers".
            key = word[::-1]
            at = bisect_left(backwards, key)
            while at < len(backwards) and backwards[at].startswith(key):
                found.setdefault(backwards[at][::-1], cfg.suffix_weight)
                at += 1
        return sorted(found.items())

    def _compounds(self, query: str, words: list[str]) -> list[str]:
        """Stored terms spelled as two adjacent query words ("heat pump" -> "heatpump")."""
        raw = _WORD_RE.findall(query.lower())
        out: dict[str, None] = {}
        for left, right in zip(raw, raw[1:], strict=False):
            for term in self._word(left + right):
                if term not in words and term in self._postings:
                    out[term] = None
        return list(out)

    # -- tokenizing and the cache -------------------------------------------------

    def _prepare(self, candidates: Sequence[MemoryHeader]) -> list[_Key]:
        """Cache keys of the candidates, tokenizing those not cached or changed."""
        keys = list(map(_key_of, candidates))
        get = self._docs.get
        misses = 0
        for key, header in zip(keys, candidates, strict=True):
            doc = get(key)
            # Same name, mtime and size but other text (a rebuilt header, another folder,
            # a coarse clock) must not get stale tokens; comparing strings is cheap, and
            # skipped when the very same header object comes back.
            if doc is None or (doc.header is not header and doc.text != _text_of(header)):
                misses += 1
                self._add(key, self._stored_doc(key, header) or self._tokenize(header))
        self._misses += misses
        self._hits += len(keys) - misses
        if len(self._docs) > 2 * len(keys) + 1024:
            self._prune(set(keys))
        return keys

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

    def _stored_doc(self, key: _Key, header: MemoryHeader) -> _Doc | None:
        """The document saved by an earlier process, when its text is unchanged."""
        if self.cache_file is None:
            return None
        record = self._load_stored().get(_key_text(key))
        text = _text_of(header)
        if record is None or tuple(record[:3]) != text:
            self._dirty = True  # about to be tokenized: worth saving for the next process
            return None
        return _Doc(header=header, text=text, weights=record[3])

    def save_cache(self) -> None:
        """Write the token cache for the next process, if anything changed."""
        if self.cache_file is None:
            return
        stored = self._load_stored()
        if not self._dirty and len(stored) == len(self._docs):
            return
        with self._lock:
            docs = {_key_text(k): [*d.text, d.weights] for k, d in self._docs.items()}
            related = {t: sorted(r) for t, r in (self._related or {}).items()}
            self._dirty = False
        self._stored = docs
        cachefile.save(
            self.cache_file,
            _CACHE_VERSION,
            {"config": repr(self.config), "docs": docs, "related": related},
        )

    def _tokenize(self, header: MemoryHeader) -> _Doc:
        cfg = self.config
        stem = header.filename.rsplit("/", 1)[-1].removesuffix(".md")
        texts = (header.description, header.name, stem, header.snippet)
        raw: dict[str, float] = {}
        for f, text in enumerate(texts):
            terms = self._terms(text)
            if not terms:
                continue
            # BM25F: each field's term count, weighted and normalised by field length.
            b = cfg.field_b[f]
            scale = cfg.field_weights[f] / (1.0 - b + b * len(terms) / cfg.typical_lengths[f])
            for term in terms:
                raw[term] = raw.get(term, 0.0) + scale
        k1 = cfg.k1
        return _Doc(
            header=header,
            text=_text_of(header),
            weights={term: tf / (k1 + tf) for term, tf in raw.items()},
        )

    def _add(self, key: _Key, doc: _Doc) -> None:
        old = self._docs.get(key)
        if old is not None:
            self._unindex(key, old.weights)
        self._docs[key] = doc
        postings = self._postings
        for term, weight in doc.weights.items():
            posting = postings.get(term)
            if posting is None:
                postings[term] = {key: weight}
                self._vocab = None
            else:
                posting[key] = weight

    def _unindex(self, key: _Key, terms: Iterable[str]) -> None:
        for term in terms:
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(key, None)
                if not posting:
                    del self._postings[term]
                    self._vocab = None

    def _prune(self, live: set[_Key]) -> None:
        """Forget documents no longer offered (old versions of edited files)."""
        for key in [k for k in self._docs if k not in live]:
            self._unindex(key, self._docs.pop(key).weights)

    def _sorted_vocab(self) -> tuple[list[str], list[str]]:
        if self._vocab is None:
            self._vocab = sorted(self._postings), sorted(t[::-1] for t in self._postings)
        return self._vocab

    def _related_terms(self) -> dict[str, frozenset[str]]:
        # Built on first use: stemming the vocabulary costs tens of milliseconds, so a
        # saved copy is used when there is one.
        if self._related is None and self.cache_file is not None:
            self._load_stored()
        if self._related is None:
            self._dirty = True
            related: dict[str, set[str]] = {}
            for line in RELATED_TERMS:
                group = {t for w in line.split() for t in self._terms(w)}
                for term in group:
                    related.setdefault(term, set()).update(group - {term})
            self._related = {t: frozenset(r) for t, r in related.items()}
        return self._related

    def _terms(self, text: str) -> list[str]:
        """Index terms of `text`, in order."""
        memo = self._word_terms
        out: list[str] = []
        for raw in _WORD_RE.findall(text):
            terms = memo.get(raw)
            if terms is None:
                terms = memo[raw] = self._word(raw)
            out.extend(terms)
        return out

    def _word(self, raw: str) -> tuple[str, ...]:
        """Terms of one word as written: itself, plus its parts when it is camelCase."""
        parts = _CAMEL_RE.split(raw)
        words = [raw] if len(parts) == 1 else [raw, *parts]
        terms = (self._normalise(w.lower()) for w in words)
        return tuple(t for t in terms if t)

    def _normalise(self, word: str) -> str:
        """The term for one lowercased word, or "" when it does not count."""
        if any(c.isdigit() for c in word):
            if "." in word:
                # "8.0" is what people call "8"; "3.12" stays as it is.
                while word.endswith(".0"):
                    word = word[:-2]
                return word
            if not self.config.stemming:
                return word
            # Snowball leaves "a100s" alone; the plural of a code name is the code name.
            return word[:-1] if len(word) > 2 and word[-1] == "s" and word[-2].isdigit() else word
        if len(word) < 2 or (self.config.stop_words and word in STOP_WORDS):
            return ""
        if not self.config.stemming:
            return word
        return str(self._stemmer.stemWord(IRREGULAR_FORMS.get(word, word)))


def _idf(n: int, df: int) -> float:
    """BM25's idf, always positive; rarer terms weigh more."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


_changed_at = attrgetter("changed_at")
