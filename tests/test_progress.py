"""The progress contract (`memdir.progress`), heard from real operations: every step's
counts go up, never past its total, and the operation's last call reaches its total."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from memdir.progress import no_progress
from memdir.store import MemoryDir
from tests.fake_anthropic import FakeAnthropic


class Heard:
    """A `Progress` that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None]] = []

    def __call__(self, step: str, done: int, total: int | None, /) -> None:
        self.calls.append((step, done, total))

    def steps(self) -> list[str]:
        """Step names in the order first heard."""
        return list(dict.fromkeys(step for step, _, _ in self.calls))

    def check(self) -> dict[str, list[int]]:
        """Assert the contract; the counts heard per step."""
        counts: dict[str, list[int]] = defaultdict(list)
        totals: dict[str, set[int | None]] = defaultdict(set)
        for step, done, total in self.calls:
            counts[step].append(done)
            totals[step].add(total)
            assert done >= 0, (step, done)
            assert total is None or done <= total, (step, done, total)
        for step, seen in counts.items():
            assert seen == sorted(seen), (step, seen)
            assert len(totals[step]) == 1, (step, totals[step])
        if self.calls:
            step, done, total = self.calls[-1]
            assert total is None or done == total, ("the operation ended at", step, done, total)
        return dict(counts)


def test_the_default_hears_nothing_and_returns_nothing() -> None:
    assert no_progress("step", 1, 2) is None


def _folder(memory_dir: Path, count: int) -> MemoryDir:
    store = MemoryDir(memory_dir)
    for i in range(count):
        store.save(name=f"Note {i}", description=f"Note number {i}", type="project", body="b")
    return store


def test_the_index_sync_reports_each_file_read_then_the_write(memory_dir: Path) -> None:
    store = _folder(memory_dir, 7)
    store.index_path.write_text("")
    heard = Heard()
    result = store.sync_index(progress=heard)
    assert len(result.added) == 7
    counts = heard.check()
    assert heard.steps() == ["reading memories", "writing MEMORY.md"]
    assert counts["reading memories"] == list(range(8))
    assert counts["writing MEMORY.md"] == [0, 1]


def test_the_index_check_reports_each_file_read(memory_dir: Path) -> None:
    store = _folder(memory_dir, 3)
    heard = Heard()
    assert store.index_problems(progress=heard) == []
    assert heard.check() == {"reading memories": [0, 1, 2, 3]}


def test_a_cached_scan_still_counts_every_file(memory_dir: Path) -> None:
    store = _folder(memory_dir, 4)
    store.scan()
    heard = Heard()
    store.scan(progress=heard)
    assert heard.check() == {"reading memories": [0, 1, 2, 3, 4]}


def test_lint_reports_each_memory_checked(memory_dir: Path) -> None:
    from memdir.lint import lint

    store = _folder(memory_dir, 5)
    heard = Heard()
    report = lint(store, progress=heard)
    assert report.files_checked == 5
    assert heard.check() == {"checking memories": [0, 1, 2, 3, 4, 5]}


def test_an_empty_folder_reports_an_empty_step(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.init()
    heard = Heard()
    store.sync_index(progress=heard)
    assert heard.check() == {"reading memories": [0, 0], "writing MEMORY.md": [0, 1]}


def test_extraction_reports_the_transcript_the_turns_and_each_memory_written(
    fake_anthropic: FakeAnthropic,
    memory_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memdir.extract import extract_now
    from tests.extract_helpers import correction_lines, memory_text, write_lines

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    transcript = write_lines(tmp_path / "s1.jsonl", correction_lines())
    fake_anthropic.reply_tool_use(("memory", {"command": "view", "path": "/memories"}))
    fake_anthropic.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/a.md", "file_text": memory_text("A")}),
        ("memory", {"command": "create", "path": "/memories/b.md", "file_text": memory_text("B")}),
    )
    fake_anthropic.reply_text("Saved two.")
    heard = Heard()
    _, report = extract_now(MemoryDir(memory_dir), transcript, session_id="s1", progress=heard)
    [result] = report.results
    assert result.status == "written" and result.turns == 3
    counts = heard.check()
    assert heard.calls[:2] == [("reading transcript", 0, 1), ("reading transcript", 1, 1)]
    assert counts["model turns"] == [0, 1, 1, 2, 2, 3]
    assert counts["memories written"] == [1, 2]
    assert {total for step, _, total in heard.calls if step != "reading transcript"} == {None}


def test_consolidation_reports_each_phase_memory_by_memory(memory_dir: Path) -> None:
    from memdir.dream import consolidate
    from memdir.recall.query_log import append_query
    from tests.dream_helpers import make_folder, memory_text

    store = MemoryDir(memory_dir)
    make_folder(store, 4)
    store.write_text("billing_again.md", memory_text("billing"))  # a duplicate: merged
    store.write_text("demo.md", memory_text("demo", body="The demo is next Thursday."))
    append_query(store.state_path, store.path, "billing rota", ["billing.md"])
    append_query(store.state_path, store.path, "orders rota", ["orders.md"])
    heard = Heard()
    run = consolidate(store, apply=True, offline=True, allow_loss=True, progress=heard)
    assert run.status == "applied", run.message
    counts = heard.check()
    assert heard.steps() == [
        "copying the folder",
        "reading memories",
        "fixing dates",
        "replaying recall queries",
        "applying",
    ]
    assert counts["copying the folder"] == list(range(8))  # six memories and the index
    assert counts["reading memories"] == list(range(7))
    assert counts["fixing dates"][-1] == 5  # one of the six was merged away
    assert counts["replaying recall queries"] == [0, 1, 2]
    assert counts["applying"][0] == 0 and counts["applying"][-1] >= 3
