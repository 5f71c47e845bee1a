"""Apply: all or nothing, even under kill -9 (real subprocesses), and never over a change."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from memdir.dream import consolidate
from memdir.dream.layout import DreamFiles
from memdir.errors import StoreIOError
from memdir.store.folder import MemoryDir
from tests.conftest import memory_cmd, subprocess_env
from tests.dream_helpers import TOPICS, folder_bytes, memory_text

# Runs a real apply and stops dead (SIGKILL from the test) after three files of the folder
# were written: the moment a crash would leave the folder half old, half new.
KILLED_APPLY = """
import sys, time
from pathlib import Path
import memdir.dream.apply as apply_mod
from memdir.dream import consolidate
from memdir.store.folder import MemoryDir

folder = Path(sys.argv[1]).resolve()
real = apply_mod.atomic_write
written = []

def slow(path, data, **kw):
    real(path, data, **kw)
    if Path(path).resolve().parent == folder:
        written.append(path)
        if len(written) == 3:
            print("MIDWAY", flush=True)
            time.sleep(60)

apply_mod.atomic_write = slow
consolidate(MemoryDir(folder), apply=True, offline=True)
"""


def _dated_folder(store: MemoryDir, count: int = 12) -> None:
    for topic in TOPICS[:count]:
        body = f"The {topic} migration starts next Thursday.\n**Why:** x.\n**How to apply:** y."
        store.write_text(
            f"{topic}.md", memory_text(topic, body=body, extra="updated: 2026-03-02\n"), stamp=False
        )


def test_kill_9_during_apply_leaves_a_folder_the_next_command_completes(
    memory_dir: Path, tmp_path: Path
) -> None:
    store = MemoryDir(memory_dir)
    _dated_folder(store)
    before = {p.name: p.read_bytes() for p in memory_dir.iterdir()}
    script = tmp_path / "killed_apply.py"
    script.write_text(KILLED_APPLY)
    child = subprocess.Popen(
        [sys.executable, str(script), str(memory_dir)],
        stdout=subprocess.PIPE,
        env=subprocess_env(),
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "MIDWAY"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()

    files = DreamFiles.for_folder(memory_dir, store.state_path)
    journal = json.loads(files.journal.read_text())
    now = {p.name: p.read_bytes() for p in memory_dir.iterdir()}
    changed = [name for name in before if now.get(name) != before[name]]
    assert 0 < len(changed) < len(journal["writes"])  # the crash really was half-way

    done = subprocess.run(
        [*memory_cmd(), "--dir", str(memory_dir), "dream", "--status"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert f"Finished the interrupted apply of run {journal['run']}" in done.stdout
    assert not files.journal.exists()
    after = files.run_dir(journal["run"]) / "after"
    for name in journal["writes"]:
        assert (memory_dir / name).read_bytes() == (after / name).read_bytes()
    assert sorted(journal["writes"]) == sorted(n for n in before if n != "MEMORY.md")
    assert not any("next Thursday" in (memory_dir / n).read_text() for n in before)
    assert "2026-03-05" in (memory_dir / "billing.md").read_text()
    assert store.index_problems() == []
    assert files.last_consolidated() is not None


def test_a_change_made_while_the_run_works_is_never_overwritten(
    memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryDir(memory_dir)
    _dated_folder(store, 4)
    import memdir.dream.run as run_mod

    real_replay = run_mod.replay

    def edit_meanwhile(*args: object, **kwargs: object) -> object:
        store.write_text("late.md", memory_text("late", body="Written during the run."))
        return real_replay(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_mod, "replay", edit_meanwhile)
    expected = None
    with pytest.raises(StoreIOError, match="changed while the run worked"):
        expected = folder_bytes(memory_dir)
        consolidate(store, apply=True, offline=True)
    assert expected is not None
    assert "next Thursday" in (memory_dir / "billing.md").read_text()
    assert (memory_dir / "late.md").exists()
    assert not DreamFiles.for_folder(memory_dir, store.state_path).journal.exists()
