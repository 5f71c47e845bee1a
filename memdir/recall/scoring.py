"""The offline selector's arithmetic, shared by every place postings are kept.

A memory's term weights (`weigh`) depend only on its own text; a query is scored against
postings (`Scorer.score`) read from wherever they live: the in-memory documents of a
long-lived selector (`_postings.Documents`) or the persisted per-term index of a fresh
process (`termindex.TermIndex`). Both give the scorer the same few look-ups, so both
rank alike to the last bit. The method is described in `memdir.recall.offline`.

Imports only the standard library and the tokenizer: this runs on the hook's fast path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping

from ._vocab import STOP_WORDS
from .config import SelectorConfig
from .tokenize import WORD_RE, Tokenizer, count, detect_language, words_of_each

# `typing` itself costs start-up time: its names are for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Postings(Protocol):
        """Where a query's postings are read from (documents keyed by any hashable)."""

        def posting(self, term: str) -> Mapping[Any, float] | None:
            """Document -> weight for one stored term; None when no document has it."""

        def has(self, term: str) -> bool:
            """True when some document has the term."""

        def prefixed(self, word: str) -> Iterable[str]:
            """Stored terms that start with `word` (itself included)."""

        def suffixed(self, word: str) -> Iterable[str]:
            """Stored terms that end with `word` (itself included)."""

        def related(self) -> Mapping[str, Collection[str]]:
            """Term -> the terms related to it (stemmed `_vocab.RELATED_TERMS`)."""


__all__ = ["Concepts", "Scorer", "weigh"]

_MIN_PREFIX = 4

#: Per query concept, (stored term, idf-weighted factor) for each variant found.
Concepts = list[list[tuple[str, float]]]


def weigh(
    config: SelectorConfig,
    tokenizer: Tokenizer,
    *,
    description: str,
    name: str,
    filename: str,
    snippet: str,
) -> dict[str, float]:
    """Term -> saturated BM25F term frequency (in [0, 1)) of one memory's header.

    The first recall in a fresh state folder runs this for every memory, so the words
    are split, looked up and counted in C (`words`, `Tokenizer.terms_of`, `count`);
    Python loops only over each field's distinct terms.
    """
    stem = filename.rsplit("/", 1)[-1].removesuffix(".md")
    language = detect_language(f"{description}\n{name}\n{snippet}")
    # The body snippet has most of the words: its terms start the sums, the short
    # fields are added to them.
    raw: dict[str, float] = {}
    split = words_of_each((snippet, description, name, stem))
    for f, found in zip((3, 0, 1, 2), split, strict=True):
        terms = tokenizer.terms_of(found, language)
        if not terms:
            continue
        # BM25F: each field's term count, weighted and normalised by field length.
        b = config.field_b[f]
        scale = config.field_weights[f] / (1.0 - b + b * len(terms) / config.typical_lengths[f])
        if raw:
            get = raw.get
            for term, times in count(terms).items():
                raw[term] = get(term, 0.0) + scale * times
        else:
            raw = {term: scale * times for term, times in count(terms).items()}
    k1 = config.k1
    return {term: tf / (k1 + tf) for term, tf in raw.items()}


def related_map(tokenizer: Tokenizer) -> dict[str, frozenset[str]]:
    """Term -> the terms related to it: `_vocab.RELATED_TERMS`, stemmed."""
    from ._vocab import RELATED_TERMS

    related: dict[str, set[str]] = {}
    for line in RELATED_TERMS:
        group = set(tokenizer.terms(line))
        for term in group:
            related.setdefault(term, set()).update(group - {term})
    return {t: frozenset(r) for t, r in related.items()}


class Scorer:
    """Scores a query against postings, and draws the bar a memory must clear."""

    def __init__(self, config: SelectorConfig, tokenizer: Tokenizer) -> None:
        self.config = config
        self.tokenizer = tokenizer

    def score(
        self,
        query: str,
        source: Postings,
        *,
        documents: int,
        offered: Collection[Hashable] | None = None,
    ) -> tuple[dict[Hashable, float], Concepts]:
        """The score of each document sharing a term with the query, and the query's
        concepts.

        `documents` is how many documents are offered; `offered`, when given, the only
        ones that count (None: every document of `source`). The unit is the idf of a
        term found in exactly one document, so scores read the same on small and large
        stores: about 1 per distinctive query word that a memory matches fully.
        """
        cfg = self.config
        # Specificity is judged as if unrelated memories were also there: in a store of
        # three, a word all three share still tells them apart from everything else.
        n = documents + cfg.background
        language = detect_language(query)
        words = list(dict.fromkeys(self.tokenizer.terms(query, language)))
        groups = [self._variants(w, source) for w in words]
        if cfg.compounds:
            groups += [[(c, 1.0)] for c in self._compounds(query, words, language, source)]
        unit = _idf(n, 1)
        totals: dict[Hashable, float] = {}
        concepts: Concepts = []
        for variants in groups:
            best: dict[Hashable, float] = {}
            factors: list[tuple[str, float]] = []
            for term, weight in variants:
                posting = source.posting(term)
                if not posting:
                    continue
                if offered is None:
                    hits: Mapping[Hashable, float] = posting
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
        return totals, concepts

    def passing(
        self,
        scores: Mapping[Hashable, float],
        terms: Callable[[Hashable], tuple[str, ...]],
        size: int,
    ) -> set[Hashable]:
        """The documents that clear the bar for this query (see `memdir.recall.offline`)."""
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

    @staticmethod
    def matched(key: Hashable, concepts: Concepts, source: Postings) -> tuple[str, ...]:
        """The stored terms through which the query's concepts matched this document.

        Each stored term once: two query words matching through one related term
        ("brief" and "concise" both through "short") are one piece of evidence, not the
        two independent words the bar for a single-word match asks for.
        """
        out: dict[str, None] = {}
        for factors in concepts:
            value, term = 0.0, ""
            for t, f in factors:
                posting = source.posting(t)
                candidate = f * (posting.get(key, 0.0) if posting else 0.0)
                if (candidate, t) > (value, term):
                    value, term = candidate, t
            if value > 0:
                out[term] = None
        return tuple(out)

    def labels(self, query: str, concepts: Concepts) -> dict[str, str]:
        """Stored term -> the query word it stands for, so explanations show real words.

        Trigger: matched terms are stems and variants ("overdu", "invoic").
        Why: a person reading `--explain` asked about "overdue" and "invoice".
        Outcome: each stored term of a concept is labelled with its query word.
        """
        language = detect_language(query)
        surface: dict[str, str] = {}
        for raw in WORD_RE.findall(query):
            for term in self.tokenizer.word(raw, language):
                surface.setdefault(term, raw.lower())
        words = list(dict.fromkeys(self.tokenizer.terms(query, language)))
        labels: dict[str, str] = {}
        for word, factors in zip(words, concepts, strict=False):
            for term, _ in factors:
                labels.setdefault(term, surface.get(word, word))
        return labels

    def _variants(self, word: str, source: Postings) -> list[tuple[str, float]]:
        """The stored terms a query word may match, each with its weight."""
        cfg = self.config
        found: dict[str, float] = {word: 1.0}
        if cfg.related_weight > 0:
            for term in sorted(source.related().get(word, ())):
                found.setdefault(term, cfg.related_weight)
        if len(word) < _MIN_PREFIX:
            return sorted(found.items())

        # Only whole words are joined: "imports" finds "goimports" and "heat" finds
        # "heatpump", but "late" must not find "latency" ("ncy" is no word).
        def whole(part: str) -> bool:
            return self._is_word(part, source)

        if cfg.prefix_weight > 0:
            for term in source.prefixed(word):
                if whole(term[len(word) :]):
                    found.setdefault(term, cfg.prefix_weight)
            for cut in range(_MIN_PREFIX, len(word)):
                if source.has(word[:cut]) and whole(word[cut:]):
                    found.setdefault(word[:cut], cfg.prefix_weight)
        if cfg.suffix_weight > 0:
            # Tool and product names glue words together: "goimports", "testcontainers".
            for term in source.suffixed(word):
                if whole(term[: len(term) - len(word)]):
                    found.setdefault(term, cfg.suffix_weight)
        return sorted(found.items())

    def _is_word(self, part: str, source: Postings) -> bool:
        """True when `part`, left over from a compound, is a word in its own right."""
        if len(part) < 2:
            return False
        if part in STOP_WORDS or source.has(part):
            return True
        return any(source.has(t) for t in self.tokenizer.word(part))

    def _compounds(
        self, query: str, words: list[str], language: str, source: Postings
    ) -> list[str]:
        """Stored terms spelled as two adjacent query words ("heat pump" -> "heatpump")."""
        raw = WORD_RE.findall(query.lower())
        out: dict[str, None] = {}
        for left, right in zip(raw, raw[1:], strict=False):
            for term in self.tokenizer.word(left + right, language):
                if term not in words and source.has(term):
                    out[term] = None
        return list(out)


def _idf(n: int, df: int) -> float:
    """BM25's idf, always positive; rarer terms weigh more."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
