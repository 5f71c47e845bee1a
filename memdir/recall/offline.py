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
import threading
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from ..types import MemoryHeader
from ._postings import Documents, Key
from .config import SelectorConfig
from .scoring import Concepts, Scorer
from .tokenize import Tokenizer, is_selectable_query

__all__ = ["CacheInfo", "OfflineSelector", "Scored"]


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
        self._scorer = Scorer(self.config, self._tokenizer)
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
        scorer = self._scorer
        with self._lock:
            keys, scores, concepts = self._score(query, candidates)
            if not scores:
                return []
            labels = scorer.labels(query, concepts)
            first: dict[Key, int] = {}
            for i, key in enumerate(keys):
                if key in scores:
                    first.setdefault(key, i)
            # Matched terms are worked out only where they decide something: for the
            # memories above the bar, and for those returned.
            matched: dict[Hashable, tuple[str, ...]] = {}

            def terms(key: Hashable) -> tuple[str, ...]:
                found = matched.get(key)
                if found is None:
                    found = matched[key] = scorer.matched(key, concepts, self._index)
                return found

            passing = scorer.passing(scores, terms, len(candidates))
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

    def _score(
        self, query: str, candidates: Sequence[MemoryHeader]
    ) -> tuple[list[Key], dict[Hashable, float], Concepts]:
        """Candidate keys, the score of each key sharing a term with the query, and the
        query's concepts."""
        index = self._index
        keys = index.prepare(candidates)
        offered = set(keys)
        # Usually the candidates are exactly the cached documents: no filtering needed.
        everything = len(offered) == len(index.docs)
        scores, concepts = self._scorer.score(
            query, index, documents=len(offered), offered=None if everything else offered
        )
        return keys, scores, concepts


_changed_at = attrgetter("changed_at")
