"""A poisoned folder beside 50 good memories: every entry point finishes, shows all 50
and reports each bad file (issue 11)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from memdir.daemon.watcher import Counters, FolderWatch
from memdir.paths import state_dir
from tests.conftest import memory_cmd, subprocess_env
from tests.store.test_memoryfile import alias_bomb

GOOD = (
    "---\nname: Billing rule {n}\ndescription: {words}\ntype: feedback\n---\n"
    "Invoices round half-even before tax.\n**Why:** audits.\n**How to apply:** invoice code.\n"
)


def words(n: int) -> str:
    """Six made-up words of its own for memory `n`: distinct descriptions, no duplicates."""
    made = [f"{c}{v}{d}" for c in "bdfgklmnprstvz" for v in "aeiou" for d in "bdgkmnprt"]
    return "invoices round " + " ".join(made[n * 6 + i] + "ex" for i in range(6))


BAD = ("bomb.md", "leap.md", "fifo.md", "loop.md", "out.md", "huge.md", "binary.md",
       "latin1.md", "escape.md")  # fmt: skip
#: Files that are not memories at all (the bad date and the escapes still load).
UNREADABLE = {"bomb.md", "fifo.md", "loop.md", "out.md", "huge.md", "binary.md", "latin1.md"}


@pytest.fixture
def poisoned(memory_dir: Path, tmp_path: Path) -> Path:
    for n in range(50):
        (memory_dir / f"good_{n:02d}.md").write_text(GOOD.format(n=n, words=words(n)))
    (memory_dir / "bomb.md").write_text(alias_bomb("type"))
    (memory_dir / "leap.md").write_text(
        "---\nname: Leap\ndescription: leap day\ntype: user\nupdated: 2026-02-29\n---\nb\n"
    )
    os.mkfifo(memory_dir / "fifo.md")
    (memory_dir / "loop.md").symlink_to(memory_dir / "loop.md")
    outside = tmp_path / "credentials"
    outside.write_text(GOOD.format(n="OUTSIDE", words="OUTSIDE"))
    (memory_dir / "out.md").symlink_to(outside)
    with open(memory_dir / "huge.md", "wb") as handle:  # 50 MB, sparse
        handle.truncate(50 * 1024 * 1024)
    (memory_dir / "binary.md").write_bytes(b"---\nname: b\n---\n\x00\x01\x02")
    (memory_dir / "latin1.md").write_bytes("---\nname: caf\xe9\n---\n".encode("latin-1"))
    (memory_dir / "escape.md").write_text(
        '---\nname: "Esc \\e]0;PWNED\\a"\ndescription: escapes\ntype: user\n---\nb\n'
    )
    return memory_dir


def memory(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*memory_cmd(), "--dir", str(folder), *args],
        input=stdin, capture_output=True, text=True, timeout=120,
        env=subprocess_env(MEMDIR_DIR=str(folder)),
    )  # fmt: skip


def test_list_lint_index_recall_and_the_hook_finish_and_report(poisoned: Path) -> None:
    listed = memory(poisoned, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    names = {m["filename"] for m in data["memories"]}
    assert {f"good_{n:02d}.md" for n in range(50)} <= names
    assert {Path(p["file"]).name for p in data["problems"]} == UNREADABLE
    assert "OUTSIDE" not in listed.stdout

    linted = memory(poisoned, "lint", "--json", "--no-verify")
    assert linted.returncode == 1, linted.stderr
    files = {p["file"] for p in json.loads(linted.stdout)["problems"]}
    assert set(BAD) <= files
    assert not {f"good_{n:02d}.md" for n in range(50)} & files - {"MEMORY.md"}

    indexed = memory(poisoned, "index")
    assert indexed.returncode == 0, indexed.stderr
    index = (poisoned / "MEMORY.md").read_text()
    assert all(f"(good_{n:02d}.md)" in index for n in range(50))
    assert "\x1b" not in index and "\x07" not in index

    query = "what do we know about " + words(7).removeprefix("invoices round ")
    recalled = memory(poisoned, "recall", query, "--json")
    assert recalled.returncode == 0, recalled.stderr
    assert json.loads(recalled.stdout)["memories"]
    assert "OUTSIDE" not in recalled.stdout

    hook_input = {
        "session_id": "s1", "transcript_path": str(poisoned / "none.jsonl"),
        "cwd": str(poisoned), "hook_event_name": "UserPromptSubmit",
        "prompt": query,
    }  # fmt: skip
    hooked = memory(poisoned, "hook", "claude-code", "user-prompt-submit",
                    stdin=json.dumps(hook_input))  # fmt: skip
    assert hooked.returncode == 0
    context = json.loads(hooked.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "Billing rule" in context and "OUTSIDE" not in context


def test_the_daemon_and_the_memory_tool_finish(poisoned: Path) -> None:
    state = state_dir()
    watch = FolderWatch(poisoned, state_dir=state, counters=Counters(state))
    outcome = watch.reconcile()
    assert len(outcome.added) >= 50
    assert watch.store.scan().problems and len(watch.store.scan().memories) >= 50

    from memdir.extract.memory_tool import MemoryFolderTool
    from memdir.store.folder import MemoryDir

    tool = MemoryFolderTool(MemoryDir(poisoned))
    listing = tool.run({"command": "view", "path": "/memories"})
    assert not listing.is_error, listing.text
    assert all(f"good_{n:02d}.md" in listing.text for n in range(50))
    for bad in ("out.md", "loop.md", "fifo.md", "huge.md", "binary.md"):
        assert tool.run({"command": "view", "path": f"/memories/{bad}"}).is_error, bad
    viewed = tool.run({"command": "view", "path": "/memories/out.md"})
    assert viewed.is_error and "OUTSIDE" not in viewed.text
