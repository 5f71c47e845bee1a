"""Writers killed with SIGKILL and restarted, and two processes racing on one memory.

Real processes: locks, create-if-absent and crash leftovers are what is tested, and only
separate processes (and ``kill -9``) exercise them. ``MEMDIR_FSYNC=0`` keeps the run short:
a killed process never loses what it handed to the kernel, so fsync is not what these
tests are about (a power cut is).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from memdir.store.folder import MemoryDir
from memdir.store.memoryfile import split_frontmatter
from tests.conftest import memory_cmd, subprocess_env

WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from memdir.store.folder import MemoryDir

    folder, prefix, total, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    done = log.read_text().split() if log.exists() else []
    start = int(done[-1]) + 1 if done else 0
    store = MemoryDir(folder)
    with open(log, "a") as out:
        for i in range(start, total):
            body = f"token {prefix}-{i}\\n**Why:** x\\n**How to apply:** y"
            store.save(name=f"{prefix} {i}", description=f"memory {i} of {prefix}",
                       type="project", body=body, overwrite=True)
            out.write(f"{i}\\n")  # written only once the save has returned
            out.flush()
    """
)

WRITERS = 4
SAVES = 500


def test_writers_killed_at_random_lose_no_completed_save(memory_dir: Path, tmp_path: Path) -> None:
    env = subprocess_env(MEMDIR_FSYNC="0")
    rng = random.Random(11)
    logs = {f"w{n}": tmp_path / f"w{n}.log" for n in range(WRITERS)}

    def start(prefix: str) -> subprocess.Popen[bytes]:
        argv = [
            sys.executable,
            "-c",
            WRITER,
            str(memory_dir),
            prefix,
            str(SAVES),
            str(logs[prefix]),
        ]
        return subprocess.Popen(argv, env=env)

    procs = {prefix: start(prefix) for prefix in logs}
    kills = 0
    deadline = time.monotonic() + 240
    while any(p.poll() is None for p in procs.values()) and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.1, 0.6))
        if kills >= 15:
            continue
        running = [prefix for prefix, p in procs.items() if p.poll() is None]
        if not running:
            break
        victim = rng.choice(running)
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait()
        kills += 1
        procs[victim] = start(victim)
    for proc in procs.values():
        assert proc.wait(timeout=240) == 0
    assert kills >= 8

    store = MemoryDir(memory_dir)
    report = store.scan(use_cache=False)
    assert report.problems == ()  # zero torn files
    names = {h.filename for h in report.memories}
    for prefix, log in logs.items():
        completed = [int(i) for i in log.read_text().split()]
        assert completed[-1] == SAVES - 1
        for i in completed:  # zero lost completed saves
            path = memory_dir / f"{prefix}_{i}.md"
            assert path.name in names
            assert f"token {prefix}-{i}" in split_frontmatter(path.read_text()).body

    done = subprocess.run([*memory_cmd(), "--dir", str(memory_dir), "index"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert store.index_problems() == []  # every file indexed, no dead entry
    lines = store.read_index().splitlines()
    assert len(lines) == len(set(lines)) == WRITERS * SAVES
    assert [p.name for p in memory_dir.iterdir() if p.name.startswith(".")] == []


RACER = textwrap.dedent(
    """
    import json, random, sys
    from memdir.errors import MemdirError, MemoryExistsError, MemoryNotFoundError
    from memdir.extract.memory_tool import MemoryFolderTool
    from memdir.store.folder import MemoryDir

    folder, seed, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = MemoryDir(folder)
    tool = MemoryFolderTool(store)
    rng = random.Random(seed)
    out = []
    for n in range(rounds):
        op = rng.choice(["create", "update", "delete", "tool"])
        token = f"t{seed}-{n}"
        try:
            if op == "create":
                store.save(name="Shared", description="one memory, many writers",
                           type="user", body=f"body {token}")
                out.append([op, "ok", token])
            elif op == "update":
                old = store.get("Shared").body
                store.update("Shared", body=old + f"\\nline {token}")
                out.append([op, "ok", token])
            elif op == "delete":
                store.delete("Shared")
                out.append([op, "ok", token])
            else:
                result = tool.run({"command": "insert", "path": "/memories/shared.md",
                                   "insert_line": 7, "insert_text": f"tool {token}"})
                out.append([op, "error" if result.is_error else "ok", token])
        except (MemoryExistsError, MemoryNotFoundError):
            out.append([op, "refused", token])
        except MemdirError as exc:
            out.append([op, "other:" + type(exc).__name__ + ": " + str(exc), token])
    print(json.dumps(out))
    """
)


def test_two_processes_racing_on_one_memory_stay_serializable(memory_dir: Path) -> None:
    env = subprocess_env(MEMDIR_FSYNC="0")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(memory_dir), str(seed), "200"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for seed in (1, 2)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "Traceback" not in err, err
        outcomes += json.loads(out)
    assert not [o for o in outcomes if o[1].startswith("other")], outcomes
    created = sum(1 for op, result, _ in outcomes if op == "create" and result == "ok")
    deleted = sum(1 for op, result, _ in outcomes if op == "delete" and result == "ok")
    path = memory_dir / "shared.md"
    # In any serial order, creates and deletes alternate: one more create iff it exists.
    assert created - deleted == (1 if path.exists() else 0)
    assert created >= 20 and deleted >= 20
    store = MemoryDir(memory_dir)
    assert store.scan().problems == ()
    assert store.index_problems() == []
    if path.exists():
        text = path.read_text()
        written = {token for op, result, token in outcomes if result == "ok" and op != "delete"}
        assert any(token in text for token in written)  # the file is one that was reported


INSERTER = textwrap.dedent(
    """
    import sys
    from memdir.extract.memory_tool import MemoryFolderTool
    from memdir.store.folder import MemoryDir

    tool = MemoryFolderTool(MemoryDir(sys.argv[1]))
    for n in range(int(sys.argv[3])):
        result = tool.run({"command": "insert", "path": "/memories/log.md", "insert_line": 7,
                           "insert_text": f"entry {sys.argv[2]}-{n}"})
        assert not result.is_error, result.text
    """
)


def test_concurrent_tool_inserts_are_all_kept(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(name="Log", description="a log kept by two agents", type="user", body="start")
    env = subprocess_env(MEMDIR_FSYNC="0")
    procs = [
        subprocess.Popen([sys.executable, "-c", INSERTER, str(memory_dir), who, "60"], env=env)
        for who in ("a", "b")
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    text = (memory_dir / "log.md").read_text()
    missing = [f"{w}-{n}" for w in "ab" for n in range(60) if f"entry {w}-{n}\n" not in text]
    assert missing == []
