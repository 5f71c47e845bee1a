"""The offline selector: ranking, threshold, determinism, the token cache, the prefilter."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date
from pathlib import Path

import pytest

from memdir.recall.config import SelectorConfig
from memdir.recall.offline import OfflineSelector, Scored
from memdir.recall.tokenize import is_selectable_query
from memdir.types import MemoryHeader, MemoryType


def header(
    filename: str,
    description: str,
    *,
    name: str = "",
    snippet: str = "",
    mtime: float = 1_700_000_000.0,
    type: MemoryType = MemoryType.PROJECT,
    updated: date | None = None,
) -> MemoryHeader:
    text = f"{name}{description}{snippet}"
    return MemoryHeader(
        path=Path("/memories") / filename,
        filename=filename,
        name=name or filename.removesuffix(".md").replace("_", " "),
        description=description,
        type=type,
        raw_type=type.value,
        mtime=mtime,
        size=len(text.encode()),
        updated=updated,
        snippet=snippet,
    )


STORE = [
    header(
        "project_billing_deploys.md",
        "Billing service deployment happens on Tuesdays after the 10:00 UTC standup",
        name="Billing deploy day",
    ),
    header(
        "feedback_money_integers.md",
        "Never store money as float; use integer cents with a currency code",
        name="Money as integers",
        type=MemoryType.FEEDBACK,
    ),
    header(
        "reference_grafana.md",
        "Latency and error-rate dashboard for the ledger API in Grafana",
        name="Ledger dashboard",
        type=MemoryType.REFERENCE,
    ),
    header(
        "user_role.md",
        "The user is a staff backend engineer who works mostly in Go and Postgres",
        name="Role",
        snippet="Lives in Lisbon and prefers short answers.",
        type=MemoryType.USER,
    ),
    header(
        "project_k8s_upgrade.md",
        "Kubernetes clusters move to 1.31 on 2026-04-14; removed beta APIs must be migrated",
        name="Cluster upgrade",
    ),
    header(
        "feedback_flaky_tests.md",
        "Quarantine flaky tests with a ticket instead of adding retries",
        name="Flaky tests",
        type=MemoryType.FEEDBACK,
    ),
]


def names(results: list[Scored]) -> list[str]:
    return [r.header.filename for r in results]


def test_obviously_relevant_memory_ranks_first() -> None:
    results = OfflineSelector().rank("which grafana dashboard shows ledger latency", STORE)
    assert names(results)[0] == "reference_grafana.md"
    assert all(isinstance(r, Scored) and r.score > 0 for r in results)


def test_description_outweighs_body() -> None:
    in_description = header("a.md", "Rotate the signing keys every quarter", name="Keys")
    in_body = header(
        "b.md",
        "Notes about the quarterly security review",
        name="Review notes",
        snippet="We also rotate the signing keys as part of it.",
    )
    results = OfflineSelector().rank("rotate signing keys", [in_body, in_description])
    assert names(results)[0] == "a.md"
    assert results[0].score > results[-1].score


def test_stemming_matches_other_forms_of_a_word() -> None:
    results = OfflineSelector().rank("deploying billing", STORE)
    assert names(results)[:1] == ["project_billing_deploys.md"]
    assert "deploy" in results[0].matched_terms


def test_stemming_can_be_switched_off() -> None:
    literal = SelectorConfig(
        stemming=False, related_weight=0.0, prefix_weight=0.0, suffix_weight=0.0
    )
    assert OfflineSelector(literal).rank("deploying billings", STORE) == []
    assert names(OfflineSelector().rank("deploying billings", STORE)) == [
        "project_billing_deploys.md"
    ]


def test_related_terms_bridge_common_abbreviations() -> None:
    results = OfflineSelector().rank("anything to know before the k8s upgrade", STORE)
    assert names(results)[:1] == ["project_k8s_upgrade.md"]


def test_version_numbers_stay_whole() -> None:
    results = OfflineSelector().rank("is 1.31 safe for our clusters", STORE)
    assert names(results)[:1] == ["project_k8s_upgrade.md"]
    assert "1.31" in results[0].matched_terms


def test_stop_word_only_query_returns_nothing() -> None:
    assert OfflineSelector().rank("what is it that you would do there", STORE) == []


def test_unrelated_query_returns_nothing() -> None:
    selector = OfflineSelector()
    assert selector.rank("write a haiku about autumn leaves", STORE) == []
    assert selector.rank("explain how a hash map handles collisions", STORE) == []


def test_one_shared_word_counts_only_when_nothing_better_matches() -> None:
    # "Lisbon" appears only in the body of user_role.md: no memory clears the bar, and a
    # lone best match on one distinctive word is returned rather than nothing.
    selector = OfflineSelector()
    assert names(selector.rank("what is the population of Lisbon", STORE)) == ["user_role.md"]
    # Below the lone floor (here: raised above its score) it is not.
    strict = OfflineSelector(SelectorConfig(lone_floor=0.8))
    assert strict.rank("what is the population of Lisbon", STORE) == []


def test_tiny_store_still_selects() -> None:
    # Both memories share every query word; a good match must not vanish for it.
    store = [
        header("a.md", "Billing invoices are generated nightly", name="Invoices"),
        header("b.md", "Billing invoices use integer cents", name="Invoice amounts"),
    ]
    assert sorted(names(OfflineSelector().rank("billing invoices", store))) == ["a.md", "b.md"]


def test_threshold_reads_the_same_on_small_and_large_stores() -> None:
    filler = [
        header(f"note_{i}.md", f"Unrelated note number {i} about gardening and {w}")
        for i, w in enumerate(["tomatoes", "roses", "compost", "soil", "seeds"] * 40)
    ]
    query = "which grafana dashboard shows ledger latency"
    for store in (STORE, STORE + filler):
        assert names(OfflineSelector().rank(query, store))[:1] == ["reference_grafana.md"]
    assert OfflineSelector().rank("write a haiku about autumn leaves", STORE + filler) == []


def test_one_word_query_is_not_selectable() -> None:
    assert not is_selectable_query("deploy")
    assert not is_selectable_query("  grafana?! ")
    assert not is_selectable_query("don't")
    assert is_selectable_query("deploy billing")
    assert is_selectable_query("CI/CD")
    assert OfflineSelector().rank("grafana", STORE) == []


def test_limit_is_respected() -> None:
    store = STORE + [
        header(f"billing_{i}.md", f"Billing invoices note {i}", mtime=1_700_000_000.0 + i)
        for i in range(8)
    ]
    selector = OfflineSelector()
    assert len(selector.rank("billing invoices", store)) == 5
    assert len(selector.rank("billing invoices", store, limit=3)) == 3
    assert selector.rank("billing invoices", store, limit=0) == []


def test_ties_are_broken_newest_first_then_by_filename() -> None:
    text = "Release checklist for the payments gateway"
    older = header("b_old.md", text, name="Checklist", mtime=100.0)
    newer = header("c_new.md", text, name="Checklist", mtime=200.0)
    same_time = header("a_same.md", text, name="Checklist", mtime=200.0)
    expected = ["a_same.md", "c_new.md", "b_old.md"]
    selector = OfflineSelector()
    for seed in range(5):
        store = [*STORE, older, newer, same_time]
        random.Random(seed).shuffle(store)
        results = selector.rank("payments gateway release checklist", store)[:3]
        assert names(results) == expected
        assert len({r.score for r in results}) == 1


def test_updated_date_counts_as_recency() -> None:
    text = "Release checklist for the payments gateway"
    old_file_new_date = header("a.md", text, mtime=100.0, updated=date(2026, 3, 1))
    new_file = header("b.md", text, mtime=200.0)
    results = OfflineSelector().rank("payments gateway checklist", [new_file, old_file_new_date])
    assert names(results) == ["a.md", "b.md"]


def test_ranking_is_deterministic_across_instances() -> None:
    query = "store amounts as integer cents, not float"
    first = OfflineSelector().rank(query, STORE)
    assert first and first == OfflineSelector().rank(query, list(reversed(STORE)))


def test_unchanged_store_is_served_from_the_cache() -> None:
    selector = OfflineSelector()
    selector.rank("flaky tests keep failing", STORE)
    after_first = selector.cache_info()
    assert (after_first.misses, after_first.hits) == (len(STORE), 0)
    rescanned = [dataclasses.replace(h) for h in STORE]  # equal headers, new objects
    selector.rank("which dashboard shows latency", rescanned)
    after_second = selector.cache_info()
    assert after_second.misses == len(STORE)
    assert after_second.hits == len(STORE)


def test_changed_file_is_tokenized_again() -> None:
    selector = OfflineSelector()
    query = "latency and error rate"
    assert names(selector.rank(query, STORE))[:1] == ["reference_grafana.md"]
    grafana = STORE[2]
    edited = dataclasses.replace(
        grafana, description="Card dispute runbook for support", mtime=grafana.mtime + 60
    )
    store = [*STORE[:2], edited, *STORE[3:]]
    assert selector.rank(query, store) == []
    assert names(selector.rank("card dispute runbook", store)) == ["reference_grafana.md"]
    assert selector.cache_info().misses == len(STORE) + 1


def test_new_text_under_the_same_key_is_not_served_stale() -> None:
    selector = OfflineSelector()
    query = "latency and error rate"
    assert selector.rank(query, STORE)
    same_key = dataclasses.replace(STORE[2], description="Card dispute runbook for support")
    assert selector.rank(query, [*STORE[:2], same_key, *STORE[3:]]) == []


def test_cache_forgets_memories_that_are_gone() -> None:
    selector = OfflineSelector()
    many = [header(f"n{i}.md", f"note {i} about topic {i}") for i in range(1_500)]
    selector.rank("topic notes", many)
    selector.rank("flaky tests", STORE)
    assert selector.cache_info().size < 1_100


def test_prefilter_keeps_small_lists_whole_and_in_order() -> None:
    selector = OfflineSelector()
    assert selector.prefilter("unrelated words entirely", STORE, limit=200) == STORE
    assert selector.prefilter("unrelated words entirely", STORE, limit=len(STORE)) == STORE


def test_prefilter_takes_best_matches_then_most_recent() -> None:
    store = [header(f"note_{i}.md", f"Gardening note {i}", mtime=1_000.0 + i) for i in range(20)]
    store.insert(7, header("match.md", "Grafana latency dashboard for the ledger", mtime=1.0))
    picked = OfflineSelector().prefilter("ledger latency dashboard", store, limit=4)
    assert [h.filename for h in picked] == ["match.md", "note_19.md", "note_18.md", "note_17.md"]
    assert OfflineSelector().prefilter("ledger latency", store, limit=0) == []


def test_scored_is_frozen() -> None:
    result = OfflineSelector().rank("which grafana dashboard shows ledger latency", STORE)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0.0  # type: ignore[misc]


def test_token_cache_is_shared_through_a_file(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "tokens.json"
    first = OfflineSelector(cache_file=cache)
    expected = names(first.rank("when do billing deploys happen", STORE))
    first.save_cache()
    assert cache.exists()
    # A new process: tokens come back from the file, nothing is tokenized again.
    second = OfflineSelector(cache_file=cache)
    calls: list[str] = []
    real = second._index._tokenize
    monkeypatch.setattr(second._index, "_tokenize", lambda h: calls.append(h.filename) or real(h))
    assert names(second.rank("when do billing deploys happen", STORE)) == expected
    assert calls == []
    # An edited memory (same name, mtime and size, other words) is tokenized afresh.
    edited = dataclasses.replace(STORE[0], description="Billing deploys moved to Thursdays now")
    second.rank("when do billing deploys happen", [edited, *STORE[1:]])
    assert calls == [edited.filename]


def test_unusable_token_cache_file_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "tokens.json"
    cache.write_text("{not json")
    selector = OfflineSelector(cache_file=cache)
    assert names(selector.rank("when do billing deploys happen", STORE))[0] == (
        "project_billing_deploys.md"
    )


def test_prefix_matching_joins_whole_words_only() -> None:
    store = [
        header("latency.md", "Grafana board for checkout latency", name="Latency board"),
        header("fees.md", "Charges for overdue invoices", name="Overdue charges"),
        header("goimports.md", "Run goimports before every commit", name="Formatting"),
    ]
    selector = OfflineSelector()
    # "late" is a word of its own, not the start of "latency".
    late = selector.rank("is the payment late again", store, limit=5, fill=True)
    assert "latency.md" not in names(late)
    # Inflections meet through the stemmer: "charge" finds "charges".
    assert names(selector.rank("what do we charge for overdue invoices", store)) == ["fees.md"]
    # A tool name glued from whole words still matches its part.
    assert "goimports.md" in names(selector.rank("fix the imports before commit", store))


# The offline selector's absolute bar, pinned by what it must and must not return rather than
# by its value. A reading list whose body names a computer and a ship: "laptop" and
# "release" reach it only as related terms, deep in a body about something else.
READING_LIST = header(
    "user_reading.md",
    "Books the user is reading this year",
    name="Reading list",
    type=MemoryType.USER,
    snippet=(
        "A novel by a Chilean author about a chess prodigy, a memoir about building a "
        "computer in a garage, an essay collection on productivity, and a history of infrared "
        "astronomy told through the instruments that made it possible over two centuries of "
        "patient observation, plus a thriller about a cargo ship and its crew."
    ),
)


def test_two_related_words_deep_in_an_unrelated_body_are_no_match() -> None:
    selector = OfflineSelector()
    store = [*STORE, READING_LIST]
    assert selector.rank("laptop release", store) == []
    mixed = selector.rank("kubernetes upgrade and the new laptop release", store)
    assert names(mixed) == ["project_k8s_upgrade.md"]
    # The same memory is found when the words are its own.
    assert names(selector.rank("which books about computers and chess", store)) == [
        "user_reading.md"
    ]


BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "recall_quality"


def benchmark_store() -> list[MemoryHeader]:
    """The labelled memories of the quality benchmark, as a scan would see them."""
    rows = [json.loads(line) for line in (BENCHMARK / "memories.jsonl").read_text().splitlines()]
    return [
        header(
            row["filename"],
            row["description"],
            name=row["name"],
            snippet=row["body"],
            type=MemoryType(row["type"]),
            mtime=1_700_000_000.0 - i * 3600,
        )
        for i, row in enumerate(rows)
    ]


@pytest.mark.parametrize(
    ("query", "relevant"),
    [
        # Labelled queries whose second right answer scores between the absolute bar and
        # the leader: a higher bar would drop it.
        ("when do I hand over the pager", "user_oncall.md"),
        ("a customer got charged twice for the same order", "feedback_idempotency_keys.md"),
    ],
)
def test_a_second_right_answer_behind_a_strong_one_is_kept(query: str, relevant: str) -> None:
    assert relevant in names(OfflineSelector().rank(query, benchmark_store()))


def test_a_german_memory_is_found_by_a_german_query() -> None:
    german = header(
        "mahngebuehren.md",
        "Mahngebühren werden pro angefangenem Monat berechnet",
        name="Mahngebühren",
        snippet="Die Mahngebühr ist auf 25 Euro begrenzt und wird von der Buchhaltung "
        "freigegeben, wenn eine Rechnung überfällig ist.",
    )
    selector = OfflineSelector()
    # German stems meet ("Mahngebühr"/"Mahngebühren", "berechnen"/"berechnet"), and the
    # German function words ("wie", "wir", "die") are not taken for content.
    found = selector.rank("Wie berechnen wir die Mahngebühr?", [*STORE, german])
    assert names(found) == ["mahngebuehren.md"]
    assert set(found[0].matched_terms) == {"berechn", "mahngebuhr"}


def test_one_stored_term_matched_by_two_query_words_counts_once() -> None:
    # "brief" and "concise" both reach "short" through the related terms: one piece of
    # evidence, so it must not pass the bar that asks for two distinct matched words.
    store = [header("short.md", "Keep every answer short"), *STORE]
    results = OfflineSelector().rank("brief concise", store, fill=True)
    assert [(s.header.filename, s.matched_terms) for s in results][:1] == [("short.md", ("short",))]
    assert all(len(set(s.matched_terms)) == len(s.matched_terms) for s in results)
    # The trailing memory that shares only that one term is now a weaker match.
    assert [s.header.filename for s in results if s.confident] == ["short.md"]
    assert OfflineSelector(SelectorConfig(lone_floor=10.0)).rank("brief concise", store) == []


# -- edges the mutation run found untested ------------------------------------------------------


def test_a_limit_of_one_gives_the_best_match() -> None:
    assert names(OfflineSelector().rank("flaky tests keep failing", STORE, limit=1)) == [
        "feedback_flaky_tests.md"
    ]


def test_excluded_memories_leave_the_others_in_place() -> None:
    store = STORE + [header("flaky_ci.md", "Flaky tests in CI are quarantined, not retried")]
    selector = OfflineSelector()
    both = names(selector.rank("quarantine flaky tests", store))
    assert set(both[:2]) == {"feedback_flaky_tests.md", "flaky_ci.md"}
    first = store[-1] if both[0] == "flaky_ci.md" else STORE[5]
    rest = names(selector.rank("quarantine flaky tests", store, exclude={str(first.path)}))
    assert rest == [name for name in both if name != first.filename]
    # An exclusion that matches nothing changes nothing.
    assert names(selector.rank("quarantine flaky tests", store, exclude={"/elsewhere.md"})) == both


def test_prefilter_keeps_a_list_of_exactly_the_limit_in_order_even_when_it_matches() -> None:
    query = "flaky tests keep failing"
    assert OfflineSelector().prefilter(query, STORE, limit=len(STORE)) == STORE
    assert OfflineSelector().prefilter(query, STORE, limit=len(STORE) - 1)[0] == STORE[5]


def test_prefilter_limit_of_one_gives_the_best_match() -> None:
    picked = OfflineSelector().prefilter("flaky tests keep failing", STORE, limit=1)
    assert picked == [STORE[5]]


def test_prefilter_shows_a_model_200_by_default() -> None:
    store = [header(f"note_{i}.md", f"Gardening note {i}") for i in range(201)]
    assert len(OfflineSelector().prefilter("gardening", store)) == 200


def test_prefilter_orders_matches_by_score_then_newest() -> None:
    strong = header("strong.md", "Ledger latency dashboard in Grafana", mtime=1.0)
    weak = header("weak.md", "Notes on the ledger", mtime=3.0)
    twin_old = header("twin_old.md", "Latency of the ledger", mtime=2.0)
    twin_new = header("twin_new.md", "Latency of the ledger", mtime=4.0)
    filler = [header(f"note_{i}.md", f"Gardening note {i}", mtime=10.0 + i) for i in range(6)]
    store = [weak, twin_old, *filler, strong, twin_new]
    picked = OfflineSelector().prefilter("ledger latency dashboard", store, limit=5)
    assert [h.filename for h in picked] == [
        "strong.md",
        "twin_new.md",
        "twin_old.md",
        "weak.md",
        "note_5.md",
    ]


def test_a_slightly_better_score_beats_a_newer_file() -> None:
    # Scores 2.03 and 1.97: recency only breaks ties (to six decimals), never a real gap.
    strong = header("strong.md", "Ledger latency dashboard in Grafana", mtime=1.0)
    weak = header("weak.md", "Ledger notes", snippet="the latency dashboard", mtime=3.0)
    ranked = OfflineSelector().rank("ledger latency dashboard", [weak, strong])
    assert names(ranked) == ["strong.md", "weak.md"]
    assert ranked[0].score - ranked[1].score < 0.1


def test_stop_words_can_be_kept() -> None:
    memory = header("which.md", "Which of these should we keep and why")
    query = "which of these should we keep"
    [default] = OfflineSelector().rank(query, [*STORE, memory])
    assert default.matched_words == ("keep",)
    [kept] = OfflineSelector(SelectorConfig(stop_words=False)).rank(query, [*STORE, memory])
    assert kept.matched_words == ("which", "of", "these", "should", "we", "keep")


def test_memories_cached_from_an_earlier_call_do_not_count_in_the_next() -> None:
    # A selector that has seen a memory before scores a later store without it exactly
    # as a fresh selector does: document counts come from the memories offered only.
    strong = header("strong.md", "Ledger latency dashboard in Grafana", mtime=1.0)
    weak = header("weak.md", "Notes", snippet="the ledger has a dashboard; latency too")
    query = "ledger latency dashboard"
    selector = OfflineSelector()
    selector.rank(query, [*STORE, strong])
    assert selector.rank(query, [*STORE, weak]) == OfflineSelector().rank(query, [*STORE, weak])


def test_the_cache_file_is_kept(tmp_path: Path) -> None:
    assert OfflineSelector(cache_file=tmp_path / "tokens").cache_file == tmp_path / "tokens"


def test_matched_words_are_the_words_typed_and_scores_have_six_decimals() -> None:
    [scored] = OfflineSelector().rank("billing deployments on tuesdays", STORE)
    assert scored.matched_terms == ("bill", "deploy", "tuesday")
    assert scored.matched_words == ("billing", "deployments", "tuesdays")
    assert scored.score == round(scored.score, 6) != round(scored.score, 5)


def test_a_compound_match_is_shown_as_the_stored_word() -> None:
    # "heat pump" matched "heatpump": no single typed word stands for it.
    memory = header("hp.md", "Heatpump service schedule and filter changes")
    [scored] = OfflineSelector().rank("heat pump service", [*STORE, memory])
    assert scored.matched_words == ("service", "heatpump")
