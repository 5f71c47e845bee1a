"""The offline pass: duplicates, dates, stale memories and the index, without a model."""

from __future__ import annotations

from pathlib import Path

import pytest

from memdir.dream import consolidate
from memdir.dream.duplicates import Candidate, duplicate_groups, is_duplicate
from memdir.dream.offline import rewrite_dates
from memdir.dream.plan import Action
from memdir.store.folder import MemoryDir
from tests.dream_helpers import folder_bytes, make_folder, memory_text

BODY = (
    "Deploys of the billing service stop on Fridays.\n"
    "**Why:** two Friday outages in 2026.\n"
    "**How to apply:** ship billing changes Monday to Thursday."
)


def _c(
    file: str, body: str, *, type_: str = "project", description: str = "Billing deploy freeze"
) -> Candidate:
    return Candidate(file, type_, description, body, 0.0)


@pytest.mark.parametrize(
    "other",
    [
        BODY,  # exact
        BODY.upper().replace("\n", "  \n"),  # case and spacing
        BODY + "\nAsk Dana in #billing before an exception.",  # a line more
        BODY.replace("Deploys", "Depolys"),  # a typo
        BODY.replace("the billing", "a billing"),  # a function word
    ],
)
def test_near_duplicates_are_found(other: str) -> None:
    assert is_duplicate(_c("a.md", BODY), _c("b.md", other))


@pytest.mark.parametrize(
    ("other", "type_"),
    [
        (BODY.replace("billing", "orders"), "project"),  # shares almost every word
        (BODY.replace("Deploys of", "Never skip deploys of"), "project"),  # a negation added
        (BODY.replace("Fridays", "Mondays").replace("Monday to", "Tuesday to"), "project"),
        (BODY, "feedback"),  # another type
    ],
)
def test_distinct_memories_sharing_many_words_are_not(other: str, type_: str) -> None:
    assert not is_duplicate(_c("a.md", BODY), _c("b.md", other, type_=type_))


def test_groups_have_one_survivor_and_no_chains() -> None:
    group = duplicate_groups(
        [
            _c("short.md", BODY),
            _c("long.md", BODY + "\nAsk Dana first."),
            _c("other.md", BODY.replace("billing", "orders")),
        ]
    )
    assert [[m.file for m in g] for g in group] == [["long.md", "short.md"]]


def test_relative_dates_become_absolute_from_the_files_own_date() -> None:
    from datetime import date

    body, fixed = rewrite_dates(
        "The demo is next Thursday.\nIt failed on Friday; `next week` in code stays.",
        date(2026, 3, 2),
    )
    assert fixed == 2
    assert body == "The demo is 2026-03-05.\nIt failed on 2026-02-27; `next week` in code stays."


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    return MemoryDir(memory_dir)


def test_the_pass_merges_dates_and_keeps_ages(store: MemoryDir) -> None:
    make_folder(store, 5)
    store.write_text(
        "freeze.md", memory_text("freeze", body=BODY, extra="updated: 2026-03-02\n"), stamp=False
    )
    store.write_text(
        "freeze_again.md",
        memory_text(
            "freeze again",
            body=BODY + "\nThe freeze ends next week.",
            extra="updated: 2026-03-04\n",
        ),
        stamp=False,
    )

    run = consolidate(store, apply=True, offline=True)

    assert run.status == "applied"
    survivor = (store.path / "freeze_again.md").read_text()
    assert not (store.path / "freeze.md").exists()
    assert "merged_from:\n- freeze.md" in survivor
    assert "The freeze ends the week of 2026-03-09." in survivor
    assert "updated: 2026-03-04" in survivor  # the newest of the two, not today
    assert run.dates_fixed == 1
    entry = next(e for e in run.plan.entries if e.file == "freeze.md")
    assert entry.action is Action.MERGED and entry.into == "freeze_again.md"


def test_stale_project_memories_are_retired_and_others_flagged(
    store: MemoryDir, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "kept.py").write_text("def still_here():\n    pass\n")
    make_folder(store, 20)
    gone = "The loader lives in `src/old_loader.py` and `parse_legacy()` reads it."
    store.write_text(
        "old.md", memory_text("old", body=gone, extra="updated: 2025-01-01\n"), stamp=False
    )
    store.write_text("new.md", memory_text("new", body=gone.replace("loader", "reader")))
    store.write_text(
        "pref.md",
        memory_text("pref", type_="user", body="I wrote " + gone, extra="updated: 2025-01-01\n"),
        stamp=False,
    )
    store.write_text("ok.md", memory_text("ok", body="See `src/kept.py` and `still_here()`."))

    run = consolidate(store, apply=True, offline=True, project_root=project)

    assert run.status == "applied", run.message
    assert [(e.file, e.action) for e in run.plan.retired] == [("old.md", Action.ARCHIVED)]
    assert "everything it names is gone" in run.plan.retired[0].reason
    assert set(run.flagged) == {"new.md", "pref.md"}  # too new; a user memory
    assert (store.path / "ok.md").exists()


def test_the_index_is_tidied_and_peoples_lines_kept(store: MemoryDir) -> None:
    make_folder(store, 3)
    long_hook = "x " * 100
    store.path.joinpath("MEMORY.md").write_text(
        "# Our memory\n"
        "Read the feedback ones first.\n"
        f"- [Billing](billing.md) — {long_hook}\n"
        "- [Billing again](billing.md) — a second line for the same file\n"
        "- [Gone](gone.md) — a file that is not there\n"
        "- [Orders](orders.md) — the orders rota, in my words\n"
    )

    consolidate(store, apply=True, offline=True)

    lines = store.read_index().splitlines()
    assert lines[:2] == ["# Our memory", "Read the feedback ones first."]
    assert lines[2].startswith("- [Billing](billing.md) — x x") and len(lines[2]) < 150
    assert "- [Orders](orders.md) — the orders rota, in my words" in lines
    assert not any("gone.md" in line or "Billing again" in line for line in lines)
    assert sum("search.md" in line for line in lines) == 1
    assert all(len(line) < 150 for line in lines)


def test_a_folder_with_nothing_to_do_is_left_alone(store: MemoryDir) -> None:
    make_folder(store, 8)
    before = folder_bytes(store.path)
    run = consolidate(store, apply=True, offline=True)
    assert run.status == "nothing"
    assert folder_bytes(store.path) == before


def test_team_memories_are_left_to_the_team(store: MemoryDir) -> None:
    make_folder(store, 3)
    (store.path / "team").mkdir()
    text = (store.path / "billing.md").read_text()
    store.write_text("team/billing.md", text)
    store.write_text("team/billing_copy.md", text)
    run = consolidate(store, apply=True, offline=True)
    assert (store.path / "team" / "billing.md").exists()
    assert (store.path / "team" / "billing_copy.md").exists()
    assert not any(
        e.file.startswith("team/") and e.action is not Action.KEPT for e in run.plan.entries
    )
