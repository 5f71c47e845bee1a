"""The progress contract (`memdir.progress`), heard from real operations: every step's
counts go up, never past its total, and the operation's last call reaches its total."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from memdir.progress import no_progress
from memdir.store import MemoryDir


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
