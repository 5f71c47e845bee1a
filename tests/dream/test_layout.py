"""Consolidation's state folder: leftovers of killed runs go, records and archives stay."""

from __future__ import annotations

from pathlib import Path

from memdir.dream import consolidate
from memdir.dream.layout import KEEP_RUNS, DreamFiles, tidy
from memdir.store.folder import MemoryDir
from tests.dream_helpers import make_folder


def test_a_killed_runs_staging_copy_is_removed_by_the_next_run(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    make_folder(store, 3)
    files = DreamFiles.for_folder(memory_dir, store.state_path)
    leftover = files.staging("20260101T000000-dead")
    leftover.mkdir(parents=True)
    (leftover / "x.md").write_text("x")

    consolidate(store, offline=True)

    assert not leftover.exists()
    assert not list((files.root / "staging").iterdir())
    assert not (files.root / "scratch").exists()


def test_old_runs_lose_their_copies_but_keep_record_and_archive(memory_dir: Path) -> None:
    files = DreamFiles.for_folder(memory_dir, memory_dir.parent / "state")
    for n in range(KEEP_RUNS + 2):
        run = files.run_dir(f"2026010{n // 10}T0000{n % 10:02d}-abcd")
        (run / "before").mkdir(parents=True)
        (run / "run.json").write_text("{}")
    (files.archive("old") / "a.md").parent.mkdir(parents=True)
    (files.archive("old") / "a.md").write_text("kept")

    tidy(files)

    ids = files.run_ids()
    assert [(files.run_dir(i) / "before").exists() for i in ids[:3]] == [False, False, True]
    assert all((files.run_dir(i) / "run.json").exists() for i in ids)
    assert (files.archive("old") / "a.md").read_text() == "kept"
