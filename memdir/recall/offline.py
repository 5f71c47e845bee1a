"""Offline selector: rank memory headers against a prompt with no network and no model.

Used when no model is configured, when the model call fails, and as a prefilter that
keeps the model's manifest bounded on large stores.

Ranking is BM25F over four fields of a `MemoryHeader`, weighted description > name >
filename stem > body snippet (the description is the line written for selection; the
snippet is long and noisy); terms come from `memdir.recall.tokenize`. A query word also
matches, at a discount, its related terms (general software vocabulary in `_vocab`) and
stored words that start or end with it or that it starts with ("auth" /
"authentication", "imports" / "goimports"); each query word scores through its best
variant only, so synonyms never count twice. Two adjacent query words also match their
compound ("heat pump" / "heatpump").

Field lengths are normalised against fixed typical lengths rather than the mean of the
current candidates: a memory's term weights then do not depend on what else is offered,
so they are computed once, cached with its tokens, and ranking touches only the memories
that share a term with the query.

Scores are expressed in units of the idf of a term found in exactly one candidate, so
they read alike on 5 and 50,000 memories: roughly, how many distinctive query words a
memory matches fully (a word only in the body, or matched through a related term,
counts for less). Idf is computed as if `SelectorConfig.background` unrelated memories
were also present, so a word shared by every memory of a tiny store still counts.

A memory is returned when it clears two bars (values in `SelectorConfig`): an absolute
score, higher for a memory matching a single query word than for one matching two or
more (one shared word is weak evidence, two independent ones are strong), and a share
of the best score in the whole store (what trails far behind the leader is mostly noise
riding on one common word). The share grows with the store's size: among 20 memories
few share a word with a query by chance, so a trailing match is more often the right
one than among 2,000. Memories a session already saw are scored too and only then left
out, so the bar for a query does not sink as a session goes on: asking the same thing
twice brings nothing weaker the second time. When nothing clears the bars, the memories
close to a best score that reaches a lower floor are returned (a single shared word is
often the whole answer in a small store). The values were chosen on the tuning half of
``benchmarks/recall_quality`` and checked on the held-out half;
``benchmarks/bench_recall_quality.py`` prints both, for the full store and for stores
of 20.
"""

from __future__ import annotations

import heapq
import math
import threading
from bisect import bisect_left
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from ..types import MemoryHeader
from ._postings import Documents, Key
from ._vocab import STOP_WORDS
from .tokenize import WORD_RE, Tokenizer, detect_language, is_selectable_query

__all__ = ["CacheInfo", "OfflineSelector", "Scored", "SelectorConfig"]

_MIN_PREFIX = 4


@dataclass(frozen=True, slots=True)
class Scored:
    """One ranked memory: its header, its score and the stored terms that matched.

    `confident` is False for a memory below the cut-off, returned only to fill up to
    the number a caller asked for.
    """

    header: MemoryHeader
    score: float
    matched_terms: tuple[str, ...]
    confident: bool = True
    #: The query's own words that matched (what a person typed, not the stems).
    matched_words: tuple[str, ...] = ()


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
    relative_cutoff: float = 0.75
    lone_floor: float = 0.55
    lone_share: float = 0.8


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
        self.cache_file = cache_file
        self._tokenizer = Tokenizer(
            stemming=self.config.stemming, stop_words=self.config.stop_words
        )
        self._index = Documents(self.config, self._tokenizer, cache_file=cache_file)
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------

    def rank(
        self,
        query: str,
        candidates: Sequence[MemoryHeader],
        *,
        limit: int = 5,
        exclude: Collection[str] = (),
        fill: bool = False,
    ) -> list[Scored]:
        """The memories that match `query` well, best first, at most `limit`.

        `exclude` holds the paths of memories a session already saw: they are scored
        with the rest, so the bar a memory must clear for a query stays where it was
        however many memories the session has seen, but they are never returned. With
        `fill`, memories below the bar that share a term with the query make up the
        `limit`, marked not `confident`.

        Returns an empty list for one-word queries, queries of stop words only, and
        (without `fill`) when nothing clears the bar (see the module docstring). Equal
        scores are ordered newest first, then by filename.
        """
        if limit <= 0 or not candidates or not is_selectable_query(query):
            return []
        with self._lock:
            keys, scores, concepts = self._score(query, candidates)
            if not scores:
                return []
            labels = self._labels(query, concepts)
            first: dict[Key, int] = {}
            for i, key in enumerate(keys):
                if key in scores:
                    first.setdefault(key, i)
            # Matched terms are worked out only where they decide something: for the
            # memories above the bar, and for those returned.
            matched: dict[Key, tuple[str, ...]] = {}

            def terms(key: Key) -> tuple[str, ...]:
                found = matched.get(key)
                if found is None:
                    found = matched[key] = self._matched(key, concepts)
                return found

            passing = self._passing(scores, terms, len(candidates))
            order = sorted(
                (key for key, i in first.items() if fill or key in passing),
                key=lambda k: (
                    k not in passing,
                    -round(scores[k], 6),
                    -_changed_at(candidates[first[k]]),
                    candidates[first[k]].filename,
                ),
            )
            kept = []
            for key in order:
                header = candidates[first[key]]
                if exclude and str(header.path) in exclude:
                    continue
                found = terms(key)
                words = tuple(dict.fromkeys(labels.get(t, t) for t in found))
                kept.append(Scored(header, round(scores[key], 6), found, key in passing, words))
                if len(kept) == limit:
                    break
        return kept

    def _passing(
        self, scores: dict[Key, float], terms: Callable[[Key], tuple[str, ...]], size: int
    ) -> set[Key]:
        """The memories that clear the bar for this query (see the module docstring)."""
        cfg = self.config
        best = max(scores.values())
        share = cfg.relative_cutoff * size / (size + cfg.background)
        bar = max(share * best, cfg.min_score)
        passing = {
            key
            for key, score in scores.items()
            if score >= bar and (score >= cfg.min_score_single or len(terms(key)) > 1)
        }
        if not passing and best >= cfg.lone_floor:
            # One memory leading alone on a single shared word: in a small store that is
            # usually the answer, and returning one memory costs little precision.
            close = max(cfg.lone_floor, cfg.lone_share * best)
            passing = {key for key, score in scores.items() if score >= close}
        return passing

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
        index = self._index
        return CacheInfo(index.hits, index.misses, len(index.docs))

    def save_cache(self) -> None:
        """Write the token cache for the next process, if anything changed."""
        with self._lock:
            self._index.save()

    # -- scoring ------------------------------------------------------------------

    def _score(
        self, query: str, candidates: Sequence[MemoryHeader]
    ) -> tuple[list[Key], dict[Key, float], list[list[tuple[str, float]]]]:
        """Candidate keys, the score of each key sharing a term with the query, and the
        query's concepts as (stored term, idf-weighted factor) lists.

        The unit is the idf of a term found in exactly one candidate, so scores read
        the same on small and large stores: about 1 per distinctive query word that a
        memory matches fully.
        """
        index = self._index
        keys = index.prepare(candidates)
        offered = set(keys)
        # Usually the candidates are exactly the cached documents: no filtering needed.
        everything = len(offered) == len(index.docs)
        # Specificity is judged as if unrelated memories were also there: in a store of
        # three, a word all three share still tells them apart from everything else.
        n = len(offered) + self.config.background
        language = detect_language(query)
        words = list(dict.fromkeys(self._tokenizer.terms(query, language)))
        groups = [self._variants(w) for w in words]
        if self.config.compounds:
            groups += [[(c, 1.0)] for c in self._compounds(query, words, language)]
        unit = _idf(n, 1)
        totals: dict[Key, float] = {}
        concepts: list[list[tuple[str, float]]] = []
        for variants in groups:
            best: dict[Key, float] = {}
            factors: list[tuple[str, float]] = []
            for term, weight in variants:
                posting = index.postings.get(term)
                if not posting:
                    continue
                if everything:
                    hits: dict[Key, float] = posting
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

    def _matched(self, key: Key, concepts: list[list[tuple[str, float]]]) -> tuple[str, ...]:
        """The stored term through which each query concept matched this document."""
        weights = self._index.docs[key].weights
        out = []
        for factors in concepts:
            value, term = max(((f * weights.get(t, 0.0), t) for t, f in factors), default=(0, ""))
            if value > 0:
                out.append(term)
        return tuple(out)

    def _labels(self, query: str, concepts: list[list[tuple[str, float]]]) -> dict[str, str]:
        """Stored term -> the query word it stands for, so explanations show real words.

        Trigger: matched terms are stems and variants ("overdu", "invoic").
        Why: a person reading `--explain` asked about "overdue" and "invoice".
        Outcome: each stored term of a concept is labelled with its query word.
        """
        language = detect_language(query)
        surface: dict[str, str] = {}
        for raw in WORD_RE.findall(query):
            for term in self._tokenizer.word(raw, language):
                surface.setdefault(term, raw.lower())
        words = list(dict.fromkeys(self._tokenizer.terms(query, language)))
        labels: dict[str, str] = {}
        for word, factors in zip(words, concepts, strict=False):
            for term, _ in factors:
                labels.setdefault(term, surface.get(word, word))
        return labels

    def _variants(self, word: str) -> list[tuple[str, float]]:
        """The stored terms a query word may match, each with its weight."""
        cfg = self.config
        found: dict[str, float] = {word: 1.0}
        if cfg.related_weight > 0:
            for term in self._index.related_terms().get(word, ()):
                found.setdefault(term, cfg.related_weight)
        if len(word) < _MIN_PREFIX:
            return sorted(found.items())
        vocab, backwards = self._index.sorted_vocab()
        # Only whole words are joined: "imports" finds "goimports" and "heat" finds
        # "heatpump", but "late" must not find "latency" ("ncy" is no word).
        whole = self._is_word
        if cfg.prefix_weight > 0:
            at = bisect_left(vocab, word)
            while at < len(vocab) and vocab[at].startswith(word):
                if whole(vocab[at][len(word) :]):
                    found.setdefault(vocab[at], cfg.prefix_weight)
                at += 1
            for cut in range(_MIN_PREFIX, len(word)):
                if word[:cut] in self._index.postings and whole(word[cut:]):
                    found.setdefault(word[:cut], cfg.prefix_weight)
        if cfg.suffix_weight > 0:
            # Tool and product names glue words together: "goimports", "testcontainers".
            key = word[::-1]
            at = bisect_left(backwards, key)
            while at < len(backwards) and backwards[at].startswith(key):
                term = backwards[at][::-1]
                if whole(term[: len(term) - len(word)]):
                    found.setdefault(term, cfg.suffix_weight)
                at += 1
        return sorted(found.items())

    def _is_word(self, part: str) -> bool:
        """True when `part`, left over from a compound, is a word in its own right."""
        if len(part) < 2:
            return False
        if part in STOP_WORDS or part in self._index.postings:
            return True
        return any(t in self._index.postings for t in self._tokenizer.word(part))

    def _compounds(self, query: str, words: list[str], language: str) -> list[str]:
        """Stored terms spelled as two adjacent query words ("heat pump" -> "heatpump")."""
        raw = WORD_RE.findall(query.lower())
        out: dict[str, None] = {}
        for left, right in zip(raw, raw[1:], strict=False):
            for term in self._tokenizer.word(left + right, language):
                if term not in words and term in self._index.postings:
                    out[term] = None
        return list(out)


def _idf(n: int, df: int) -> float:
    """BM25's idf, always positive; rarer terms weigh more."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


_changed_at = attrgetter("changed_at")
