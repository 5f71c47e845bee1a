"""The recall gate: recent recall queries replayed against the staged folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from memdir.dream import consolidate
from memdir.recall.query_log import read_queries
from memdir.recall.recaller import Recaller
from memdir.store.folder import MemoryDir
from tests.dream_helpers import boundary, delete_call, folder_bytes, make_folder, memory_text
from tests.fake_anthropic import FakeAnthropic

QUERY = "who is on call for the billing service alerts"


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    make_folder(MemoryDir(memory_dir), 20)
    return MemoryDir(memory_dir)


def _recall(store: MemoryDir) -> None:
    result = Recaller(store).recall(QUERY, offline=True)
    assert "billing.md" in [m.header.filename for m in result.memories]
    assert read_queries(store.state_path, store.path)[-1].files[0] == "billing.md"


def test_a_plan_making_a_recalled_memory_unreachable_is_held(
    fake_anthropic: FakeAnthropic, store: MemoryDir
) -> None:
    _recall(store)
    before = folder_bytes(store.path)
    fake_anthropic.reply_tool_use(delete_call("billing.md"))
    fake_anthropic.reply_text("archived: billing.md — old")

    run = consolidate(store, apply=True, client=boundary(store, fake_anthropic.url))

    assert run.verdict is not None and run.verdict.ok  # within the loss budget ...
    assert run.gate is not None and not run.gate.ok  # ... but recall used it
    assert [(u.query, u.file, u.now) for u in run.gate.unreachable] == [(QUERY, "billing.md", None)]
    assert run.status == "held"
    assert QUERY in run.message
    assert folder_bytes(store.path) == before


def test_a_recalled_memory_merged_into_a_survivor_that_comes_back_passes(
    fake_anthropic: FakeAnthropic, store: MemoryDir
) -> None:
    _recall(store)
    old = (store.path / "billing.md").read_text()
    body = old.split("---\n", 2)[2] + "The billing rota moved to team Kestrel in 2026-11."
    survivor = memory_text("billing rota", body=body, extra="merged_from: [billing.md]\n").replace(
        "On-call and ownership of the billing rota service",
        "Billing service on-call rota and its alerts",
    )
    fake_anthropic.reply_tool_use(
        (
            "memory",
            {"command": "create", "path": "/memories/billing_rota.md", "file_text": survivor},
        ),
        delete_call("billing.md"),
    )
    fake_anthropic.reply_text("merged")

    run = consolidate(store, apply=True, client=boundary(store, fake_anthropic.url))

    assert run.gate is not None and run.gate.judged >= 1 and run.gate.ok
    assert run.status == "applied", run.message
    assert not (store.path / "billing.md").exists()


def test_recall_logs_one_line_per_recall_and_stays_bounded(store: MemoryDir) -> None:
    from memdir.recall import query_log

    for n in range(query_log.KEEP + 200):
        query_log.append_query(store.state_path, store.path, f"query {n} " + "x" * 500, ["a.md"])
    kept = read_queries(store.state_path, store.path)
    assert len(kept) <= query_log.KEEP
    assert kept[-1].query.startswith(f"query {query_log.KEEP + 199} ")
    assert query_log.log_path(store.state_path, store.path).stat().st_size < 2 * query_log.MAX_BYTES
