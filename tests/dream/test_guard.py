"""The loss guard against a scripted model over real HTTP: mass deletion, slow erosion,
and user memories."""

from __future__ import annotations

from pathlib import Path

import pytest

from memdir.dream import consolidate
from memdir.dream.guard import check
from memdir.dream.layout import DreamFiles
from memdir.dream.plan import Action, Plan, PlanEntry
from memdir.dream.settings import DreamSettings
from memdir.store.folder import MemoryDir
from tests.dream_helpers import boundary, delete_call, folder_bytes, make_folder, memory_text
from tests.fake_anthropic import FakeAnthropic


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    return MemoryDir(memory_dir)


def test_a_model_deleting_23_of_30_is_refused_and_the_folder_is_untouched(
    fake_anthropic: FakeAnthropic, store: MemoryDir
) -> None:
    names = make_folder(store, 30)
    before = folder_bytes(store.path)
    fake_anthropic.reply_tool_use(*[delete_call(n) for n in names[:23]])
    fake_anthropic.reply_text("Removed the old ones.")

    run = consolidate(store, apply=True, client=boundary(store, fake_anthropic.url))

    assert run.status == "held"
    assert run.verdict is not None and not run.verdict.ok
    assert len(run.verdict.retired) == 23
    assert "retires 23 of 30" in run.message and "--allow-loss" in run.message
    assert folder_bytes(store.path) == before
    assert DreamFiles.for_folder(store.path, store.state_path).last_consolidated() is None


def test_ten_runs_of_8_percent_are_stopped_by_the_seven_day_budget(
    fake_anthropic: FakeAnthropic, store: MemoryDir
) -> None:
    names = make_folder(store, 50)
    client = boundary(store, fake_anthropic.url)
    statuses = []
    for run_number in range(10):
        doomed = names[run_number * 4 : run_number * 4 + 4]  # 4 of 50: 8 %
        fake_anthropic.reply_tool_use(*[delete_call(n) for n in doomed])
        fake_anthropic.reply_text("\n".join(f"archived: {n} — obsolete" for n in doomed))
        statuses.append(consolidate(store, apply=True, client=client).status)

    assert statuses == ["applied"] + ["held"] * 9
    assert len(store.list()) == 46  # 5 % of the memories at most is 5, not 40


def test_budget_counts_retirements_across_runs_in_the_window(store: MemoryDir) -> None:
    files = DreamFiles.for_folder(store.path, store.state_path)
    settings = DreamSettings()
    plan = Plan(tuple(PlanEntry(f"m{i}.md", Action.ARCHIVED, type="project") for i in range(4)))
    from memdir.dream.guard import record_retired

    assert check(plan, memories=50, files=files, settings=settings, now=1000.0).ok
    record_retired(files, "r1", ["a.md", "b.md"], now=1000.0)
    assert not check(plan, memories=50, files=files, settings=settings, now=1000.0 + 86400).ok
    # Eight days later the window has moved on.
    assert check(plan, memories=50, files=files, settings=settings, now=1000.0 + 8 * 86400).ok


def test_a_user_memory_is_never_retired_without_a_superseding_one(
    fake_anthropic: FakeAnthropic, store: MemoryDir
) -> None:
    make_folder(store, 20)
    store.write_text("role.md", memory_text("role", type_="user", body="Senior Go engineer."))
    before = folder_bytes(store.path)
    fake_anthropic.reply_tool_use(delete_call("role.md"))
    fake_anthropic.reply_text("archived: role.md — not needed")

    run = consolidate(store, apply=True, client=boundary(store, fake_anthropic.url))

    assert run.status == "held"
    assert any("role.md is a user memory" in p for p in run.verdict.problems)  # type: ignore[union-attr]
    assert folder_bytes(store.path) == before


def test_a_user_memory_superseded_by_a_newer_one_may_go(
    fake_anthropic: FakeAnthropic, store: MemoryDir
) -> None:
    make_folder(store, 20)
    store.write_text("role.md", memory_text("role", type_="user", body="Senior Go engineer."))
    newer = memory_text(
        "role now", type_="user", body="Now leads the Rust team.", extra="supersedes: [role.md]\n"
    )
    fake_anthropic.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/role_now.md", "file_text": newer}),
        delete_call("role.md"),
    )
    fake_anthropic.reply_text("Role changed.")

    run = consolidate(store, apply=True, client=boundary(store, fake_anthropic.url))

    assert run.status == "applied", run.message
    entry = next(e for e in run.plan.entries if e.file == "role.md")
    assert entry.action is Action.ARCHIVED and entry.superseded_by == "role_now.md"
    assert not (store.path / "role.md").exists()
    archived = DreamFiles.for_folder(store.path, store.state_path).archive(run.run_id)
    assert (archived / "role.md").read_text().endswith("Senior Go engineer.\n")
