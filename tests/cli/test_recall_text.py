"""The plain `memory recall` line, answered without click: same output, lighter start."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli
from memdir_cli.recall_text import parse_plain_recall

from memdir.store.folder import MemoryDir
from tests.conftest import subprocess_env

HEAVY = ("click", "yaml", "socket", "hashlib", "anthropic")


@pytest.fixture
def folder(memory_dir: Path) -> Path:
    store = MemoryDir(memory_dir)
    store.save(
        name="Deploy freeze",
        description="No production deploys from 2026-12-20 to 2027-01-05",
        type="project",
        body="Freeze.\n**Why:** year end.\n**How to apply:** ask first.",
    )
    store.save(
        name="Grafana board",
        description="Grafana dashboard for payment latency",
        type="reference",
        body="https://grafana.example.com/d/payments",
    )
    return memory_dir


def _run(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -X importtime -m memdir_cli ARGS`: its output, and its imports on stderr."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "memdir_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
    )


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("extra", [["--json"], ["--explain"], ["--json", "--limit", "3"]])
def test_the_plain_line_prints_what_the_click_command_prints(
    folder: Path, tmp_path: Path, extra: list[str]
) -> None:
    args = ["--dir", str(folder), "recall", "--no-daemon", "late december production deploys"]
    fast = _run([*args, *extra], tmp_path)
    assert fast.returncode == 0, fast.stderr
    assert "click" not in _imported(fast.stderr)
    slow = CliRunner().invoke(cli, [*args, *extra])
    assert slow.exit_code == 0, slow.stderr
    if "--json" in extra:
        got, want = json.loads(fast.stdout), json.loads(slow.output)
        assert got["memories"] and got == want
    else:
        assert fast.stdout == slow.output


def test_recall_and_the_hook_start_without_heavy_imports(tmp_path: Path) -> None:
    # A name no other test's daemon uses: with no socket of its own, not even a listing
    # match, the client imports neither socket nor hashlib.
    folder = tmp_path / f"notes{uuid.uuid4().hex[:8]}"
    MemoryDir(folder).save(
        name="Deploy freeze",
        description="No production deploys from 2026-12-20 to 2027-01-05",
        type="project",
        body="Freeze.",
    )
    recall = _run(
        ["--dir", str(folder), "recall", "--offline", "production deploy freeze"], tmp_path
    )
    assert recall.returncode == 0 and "Deploy freeze" in recall.stdout
    payload = {
        "session_id": "s1",
        "transcript_path": str(tmp_path / "s1.jsonl"),
        "cwd": str(tmp_path),
        "hook_event_name": "UserPromptSubmit",
        "prompt": "can we deploy to production in late december?",
    }
    hook = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "memdir_cli", "hook", "claude-code"]
        + ["user-prompt-submit"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(MEMDIR_DIR=str(folder)),
    )
    assert "Deploy freeze" in json.loads(hook.stdout)["hookSpecificOutput"]["additionalContext"]
    for proc in (recall, hook):
        assert not _imported(proc.stderr) & set(HEAVY), (
            proc.args,
            _imported(proc.stderr) & set(HEAVY),
        )


@pytest.mark.parametrize(
    "args",
    [
        ["recall", "--help"],
        ["recall", "q w", "--limit", "0"],
        ["recall", "q w", "--limit", "x"],
        ["recall", "q w", "--bogus"],
        ["recall", "q w", "--json", "--json"],
        ["recall", "--project", "p", "--no-verify", "q w"],
        ["list"],
        ["recall"],
    ],
)
def test_anything_but_a_plain_line_is_left_to_click(args: list[str]) -> None:
    assert parse_plain_recall(args) is None


def test_a_plain_line_is_read_whole() -> None:
    assert parse_plain_recall(
        ["--dir", "d", "recall", "two words", "--session", "s", "--limit", "4", "--json"]
    ) == {"--dir": "d", "--session": "s", "--limit": 4, "--json": True, "query": "two words"}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other version"])
def test_a_damaged_index_is_rebuilt_without_an_error(
    folder: Path, tmp_path: Path, damage: str
) -> None:
    args = ["--dir", str(folder), "recall", "--no-daemon", "--json", "production deploy freeze"]
    first = _run(args, tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["memories"]
    (index,) = (MemoryDir(folder).state_path / "cache").glob("*.terms.sqlite")
    data = index.read_bytes()
    if damage == "garbage":
        index.write_bytes(b"\x00not an index" * 700)
    elif damage == "truncated":
        index.write_bytes(data[: len(data) // 2])
    else:
        import sqlite3

        with sqlite3.connect(index) as db:
            db.execute("PRAGMA user_version = 999")
    again = _run(args, tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert "Traceback" not in again.stderr and "Error" not in again.stderr
    # And they were written anew, whole.
    third = _run(args, tmp_path)
    assert json.loads(third.stdout) == json.loads(first.stdout)
