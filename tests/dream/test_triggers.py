"""Automatic runs: the gates (time, sessions, lock), one run at a time, the Stop hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memdir.dream.layout import DreamFiles
from memdir.dream.lock import Holder, RunLock
from memdir.dream.settings import DreamSettings
from memdir.dream.triggers import check_due, maybe_start
from memdir.extract.extractor import ExtractState
from memdir.integrations.claude_code.hooks import run_hook
from memdir.store.folder import MemoryDir
from tests.conftest import subprocess_env
from tests.dream_helpers import make_folder

NOW = 2_000_000_000.0


@pytest.fixture
def store(memory_dir: Path) -> MemoryDir:
    store = MemoryDir(memory_dir)
    make_folder(store, 6)
    store.write_text("dup.md", (memory_dir / "billing.md").read_text())  # work to do
    return store


def _sessions(store: MemoryDir, count: int, *, at: float) -> None:
    cursors = ExtractState(store.state_path, store.path).folder / "cursors"
    cursors.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        path = cursors / f"s{n}-{at:.0f}.json"
        path.write_text("{}")
        os.utime(path, (at, at))


def test_fewer_than_five_sessions_means_no_run(store: MemoryDir) -> None:
    _sessions(store, 4, at=NOW - 60)
    decision = check_due(store.path, store.state_path, now=NOW)
    assert not decision.due and decision.sessions == 4
    _sessions(store, 1, at=NOW - 30)
    assert check_due(store.path, store.state_path, now=NOW).due


def test_less_than_a_day_since_the_last_run_means_no_run(store: MemoryDir) -> None:
    files = DreamFiles.for_folder(store.path, store.state_path)
    files.mark_consolidated(NOW - 23 * 3600)
    _sessions(store, 9, at=NOW - 60)
    decision = check_due(store.path, store.state_path, now=NOW)
    assert not decision.due and "23.0 h ago" in decision.reason
    assert check_due(store.path, store.state_path, now=NOW + 3600).due


def test_only_sessions_since_the_last_run_count(store: MemoryDir) -> None:
    DreamFiles.for_folder(store.path, store.state_path).mark_consolidated(NOW - 30 * 3600)
    _sessions(store, 7, at=NOW - 40 * 3600)  # before the last run
    _sessions(store, 3, at=NOW - 3600)
    assert check_due(store.path, store.state_path, now=NOW).sessions == 3


def test_thresholds_are_configurable(store: MemoryDir) -> None:
    _sessions(store, 2, at=NOW - 60)
    settings = DreamSettings.from_env({"MEMDIR_DREAM_MIN_SESSIONS": "2"})
    assert check_due(store.path, store.state_path, settings=settings, now=NOW).due


def test_a_live_lock_holder_blocks_and_a_dead_or_old_one_does_not(store: MemoryDir) -> None:
    _sessions(store, 5, at=time.time() - 60)
    files = DreamFiles.for_folder(store.path, store.state_path)
    lock = RunLock(files, stale_s=3600)
    assert lock.acquire("r1")
    assert not check_due(store.path, store.state_path).due
    assert not RunLock(files, stale_s=3600).acquire("r2")
    lock.release()
    assert check_due(store.path, store.state_path).due

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    import socket

    stale = Holder(int(dead.stdout), time.time(), socket.gethostname())
    files.holder.write_text(json.dumps(stale.to_json()))
    assert RunLock(files, stale_s=3600).acquire("r3")  # holder is dead
    old = Holder(os.getppid(), time.time() - 2 * 3600, socket.gethostname())
    files.holder.write_text(json.dumps(old.to_json()))
    assert RunLock(files, stale_s=3600).acquire("r4")  # alive but over an hour old


def test_two_triggers_at_once_give_one_run(store: MemoryDir) -> None:
    _sessions(store, 5, at=time.time() - 60)
    command = [sys.executable, "-m", "memdir.dream", "--dir", str(store.path), "--auto"]
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=subprocess_env())
        for _ in range(2)
    ]
    outputs = [json.loads(child.communicate(timeout=60)[0]) for child in children]

    statuses = sorted(o["status"] for o in outputs)
    assert statuses[0] == "applied" and statuses[1] in ("busy", "not-due"), outputs
    files = DreamFiles.for_folder(store.path, store.state_path)
    assert len(files.run_ids()) == 1
    assert len(list(store.path.glob("*.md"))) == 7  # six memories and the index


def test_the_stop_hook_starts_a_due_run_in_its_own_process(
    store: MemoryDir, tmp_path: Path
) -> None:
    _sessions(store, 5, at=time.time() - 60)
    stop = {
        "session_id": "s-1",
        "transcript_path": str(tmp_path / "s-1.jsonl"),
        "cwd": str(tmp_path),
        "hook_event_name": "Stop",
        "stop_hook_active": False,
        "last_assistant_message": "Done.",
    }
    assert run_hook("stop", json.dumps(stop), memory_dir=store.path) is None  # no model: skip

    files = DreamFiles.for_folder(store.path, store.state_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(files.root.glob("runs/*/run.json")):
        time.sleep(0.1)
    assert files.last_consolidated() is not None
    assert len(list(store.path.glob("*.md"))) == 7  # the duplicate merged
    # Consolidated just now: the next Stop starts nothing.
    assert not maybe_start(store.path, store.state_path).due


def test_a_failing_run_is_not_restarted_on_every_turn(
    store: MemoryDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memdir.dream.triggers as triggers

    started: list[Path] = []
    monkeypatch.setattr(triggers, "spawn_detached", lambda folder, state: started.append(folder))
    _sessions(store, 5, at=NOW - 60)
    assert maybe_start(store.path, store.state_path, now=NOW).due
    # The run failed: "last consolidated" did not move, the gates are still open ...
    assert check_due(store.path, store.state_path, now=NOW + 60).due
    # ... but the next turns start nothing for ten minutes.
    assert not maybe_start(store.path, store.state_path, now=NOW + 60).due
    assert maybe_start(store.path, store.state_path, now=NOW + 601).due
    assert len(started) == 2
