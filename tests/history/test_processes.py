"""History across real processes: concurrent writers, a killed writer, the daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from memdir import MemoryDir
from memdir.history import Actor
from tests.conftest import memory_cmd, subprocess_env
from tests.daemon.test_service import daemon_process, wait_until

from .helpers import git, memory_text
from .test_history import needs_git

WRITER = """
import sys
from memdir import MemoryDir
store = MemoryDir(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.save(name=f"w{sys.argv[2]}-n{i:03d}", description=f"Note {i} of writer {sys.argv[2]}",
               type="project", body=f"body {i}")
"""


@needs_git
def test_four_writers_give_1000_files_and_1000_operations(memory_dir: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(memory_dir), str(w), "250"], env=subprocess_env()
        )
        for w in range(4)
    ]
    for proc in procs:
        assert proc.wait(timeout=600) == 0
    store = MemoryDir(memory_dir)
    assert len(list(memory_dir.glob("w*.md"))) == 1000
    ops = store.history()
    assert len(ops) == 1000
    assert {op.actor.kind for op in ops} == {"library"}
    assert sorted(f for op in ops for f in op.files if f != "MEMORY.md") == sorted(
        p.name for p in memory_dir.glob("w*.md")
    )
    git(store, "fsck", "--strict")
    tree = git(store, "ls-tree", "--name-only", "HEAD").decode().split()
    assert len(tree) == 1001


def _objects(git_dir: Path) -> int:
    return sum(len(files) for _root, _dirs, files in os.walk(git_dir / "objects"))


@needs_git
def test_a_writer_killed_mid_record_leaves_history_usable(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="first", description="The first memory", type="project", body="x")
    head = store.history()[0].id
    for i in range(1500):
        (memory_dir / f"hand-{i:04d}.md").write_text(
            memory_text(f"hand {i}", f"Written by hand, number {i}", f"body {i}")
        )
    baseline = _objects(store.recorder.path)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(memory_dir), "k", "1"], env=subprocess_env()
    )
    # Killed once it is visibly storing the leftover hand edits, before it can commit.
    assert wait_until(
        lambda: _objects(store.recorder.path) > baseline + 20, timeout=60, interval=0.001
    )
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert store.history()[0].id == head, "the writer finished before it was killed"

    git(store, "fsck")
    store.save(name="after", description="Saved after the crash", type="project", body="y")
    own, leftover = store.history(limit=2)
    assert leftover.actor == Actor("hand-edit")
    assert len([f for f in leftover.files if f.startswith("hand-")]) == 1500
    assert own.files == ("after.md", "MEMORY.md")
    git(store, "fsck")
    assert len(git(store, "ls-tree", "--name-only", "HEAD").decode().split()) == 1503


def test_the_daemon_records_a_hand_edit(memory_dir: Path, tmp_path: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="first", description="The first memory", type="project", body="x")
    with daemon_process(memory_dir, tmp_path):
        (memory_dir / "mine.md").write_text(memory_text("mine", "Written in an editor", "z"))
        assert wait_until(lambda: store.history()[0].actor.kind == "hand-edit", timeout=20)
    [op] = [op for op in store.history() if op.actor.kind == "hand-edit"]
    assert op.files == ("mine.md", "MEMORY.md")
    assert len(store.history()) == 2


def test_cli_log_runs_without_git_on_the_path(memory_dir: Path, tmp_path: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="first", description="The first memory", type="project", body="x")
    env = subprocess_env(PATH=str(tmp_path / "empty-bin"))
    add = [
        *memory_cmd(),
        "--dir",
        str(memory_dir),
        "add",
        "--type",
        "user",
        "--name",
        "n2",
        "--description",
        "Second memory here",
        "--body",
        "b",
    ]
    subprocess.run(add, env=env, check=True, capture_output=True)
    out = subprocess.run(
        [*memory_cmd(), "--dir", str(memory_dir), "log"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "cli" in out and "add n2.md (user)" in out
