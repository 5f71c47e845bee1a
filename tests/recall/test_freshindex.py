"""`memdir.recall.freshindex`: the in-memory postings of a first build rank as the index."""

from __future__ import annotations

from pathlib import Path

from memdir.recall.freshindex import FreshIndex, starting_with
from memdir.recall.indexed import IndexedSelector
from memdir.recall.scoring import related_map
from memdir.store.walk import stat_markdown
from tests.recall.conftest import QUERIES, picked, selector_for


def fresh_for(folder: Path, file: Path) -> IndexedSelector:
    """A selector ranking from a `FreshIndex` of the folder (its index left empty)."""
    selector = IndexedSelector(str(folder), index_file=str(file))
    entries = stat_markdown(str(folder))
    parsed = [(e, selector._parse(e[1], e[0], e[4], e[3], e[5])) for e in entries]
    related = {t: sorted(r) for t, r in related_map(selector._tokenizer).items()}
    selector.fresh = FreshIndex(parsed, related)
    return selector


def test_ranks_exactly_as_the_persisted_index(folder: Path, tmp_path: Path) -> None:
    fresh = fresh_for(folder, tmp_path / "unused.sqlite")
    indexed = selector_for(folder, tmp_path / "index.sqlite")
    for query in QUERIES:
        for limit, fill in ((5, False), (5, True), (2, True), (8, True)):
            assert picked(fresh, query, limit=limit, fill=fill) == picked(
                indexed, query, limit=limit, fill=fill
            ), query
    assert picked(fresh, QUERIES[1])  # the comparison is not between two empty lists


def test_the_look_ups_are_the_index_s(folder: Path, tmp_path: Path) -> None:
    fresh = fresh_for(folder, tmp_path / "unused.sqlite").fresh
    index = selector_for(folder, tmp_path / "index.sqlite").index
    assert fresh is not None
    assert fresh.documents == index.documents
    for word in ("ledger", "ledgers", "import", "latenc", "deploy", "zzz", "a"):
        assert fresh.has(word) == index.has(word)
        assert list(fresh.prefixed(word)) == list(index.prefixed(word))
        assert list(fresh.suffixed(word)) == list(index.suffixed(word))
        assert fresh.posting(word) == index.posting(word)
    assert fresh.related() == index.related()
    assert fresh.records(range(20)) == index.records(range(20))


def test_starting_with() -> None:
    ordered = ["late", "latency", "later", "lateral", "lath", "zeta"]
    assert list(starting_with(ordered, "late")) == ["late", "latency", "later", "lateral"]
    assert list(starting_with(ordered, "lath")) == ["lath"]
    assert list(starting_with(ordered, "m")) == []
    assert list(starting_with([], "a")) == []
