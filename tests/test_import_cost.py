"""What `memory recall` and the Claude Code hook load: a new process runs them on every
prompt, so every module they import is paid every time (issue 13). Read from the
process's own ``-X importtime`` report, the command run for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memdir.daemon.server import LineServer
from memdir.daemon.wire import socket_path
from memdir.paths import state_dir
from memdir.recall.recaller import Recaller
from memdir.store.folder import MemoryDir
from tests.conftest import subprocess_env

#: Never on these paths: each costs more than the work itself (the SDK over a second).
NEVER = frozenset(
    {"anthropic", "click", "yaml", "platformdirs", "difflib", "rich", "mcp", "watchdog", "dulwich"}
)
#: Not either when a daemon answers: the answer is JSON, rendered as it comes, so no
#: records (dataclasses pulls in inspect), no `typing`, no store, recaller or detectors.
NOT_WITH_A_DAEMON = NEVER | {
    "dataclasses",
    "inspect",
    "typing",
    "tempfile",
    "socket",  # the client talks through `_socket`, without the module's extras
    "hashlib",
    "memdir.store.folder",
    "memdir.store.scan",
    "memdir.recall.recaller",
    "memdir.recall.result",
    "memdir.store.secrets",
}
QUERY = "can we deploy to production in late december?"
#: Text only the stand-in daemon's answer holds: seeing it proves the daemon answered.
ANSWERED = "Answered over the socket."


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if "|" in line}


def _memory(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -X importtime -m memdir_cli ARGS``: its output, its imports on stderr."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "memdir_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=subprocess_env(),
    )


@pytest.fixture
def folder(memory_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    MemoryDir(memory_dir).save(
        name="Deploy freeze",
        description="No production deploys from 2026-12-20 to 2027-01-05",
        type="project",
        body="Freeze.\n**Why:** year end.",
    )
    monkeypatch.setenv("MEMDIR_DIR", str(memory_dir))
    return memory_dir


@pytest.fixture
def daemon(folder: Path) -> Iterator[list[dict[str, Any]]]:
    """A stand-in for `memory watch` on the folder's socket: it answers every recall with
    the folder's real result, its body replaced by `ANSWERED`. Yields the requests."""
    answer = Recaller(MemoryDir(folder)).recall(QUERY, offline=True).to_json()
    assert answer["memories"]
    answer["memories"][0]["content"] = ANSWERED
    requests: list[dict[str, Any]] = []

    def handle(request: dict[str, Any]) -> dict[str, Any]:
        requests.append(request)
        return {"ok": True, "result": answer}

    path = socket_path(folder, state_dir=state_dir())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    server = LineServer(path, handle)
    server.start()
    try:
        yield requests
    finally:
        server.close()


def test_the_hook_answered_by_a_daemon_loads_no_records_store_or_typing(
    folder: Path, daemon: list[dict[str, Any]], tmp_path: Path
) -> None:
    payload = {
        "session_id": "s-import-cost",
        "transcript_path": str(tmp_path / "t.jsonl"),
        "cwd": str(tmp_path),
        "hook_event_name": "UserPromptSubmit",
        "prompt": QUERY,
    }
    proc = _memory(["hook", "claude-code", "user-prompt-submit"], tmp_path, json.dumps(payload))
    context = json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "## Deploy freeze (project memory" in context and ANSWERED in context
    assert [r["op"] for r in daemon] == ["recall"]
    loaded = _imported(proc.stderr)
    assert "memdir.daemon.client" in loaded  # the report is read right
    assert not loaded & NOT_WITH_A_DAEMON, sorted(loaded & NOT_WITH_A_DAEMON)
    # What Claude Code was shown is marked as seen by the session, by this process.
    seen = json.loads((state_dir() / "sessions" / "s-import-cost.json").read_text())
    assert seen["surfaced"] == [str(folder / "deploy_freeze.md")]


@pytest.mark.parametrize("extra", [[], ["--json"], ["--explain"]])
def test_recall_answered_by_a_daemon_loads_no_records_store_or_typing(
    folder: Path, daemon: list[dict[str, Any]], tmp_path: Path, extra: list[str]
) -> None:
    proc = _memory(["recall", *extra, "--offline", QUERY], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert ANSWERED in proc.stdout
    loaded = _imported(proc.stderr)
    assert "memdir.daemon.client" in loaded
    assert not loaded & NOT_WITH_A_DAEMON, sorted(loaded & NOT_WITH_A_DAEMON)


def test_without_a_daemon_neither_path_loads_what_it_never_needs(
    folder: Path, tmp_path: Path
) -> None:
    assert not os.path.exists(socket_path(folder, state_dir=state_dir()))
    payload = {
        "session_id": "s2",
        "transcript_path": str(tmp_path / "t.jsonl"),
        "cwd": str(tmp_path),
        "hook_event_name": "UserPromptSubmit",
        "prompt": QUERY,
    }
    # A first run builds the persisted index: parsing the new files loads the store's
    # records (a cold start's cost). What follows is the warm path every prompt takes.
    assert _memory(["recall", "--offline", QUERY], tmp_path).returncode == 0
    hook = _memory(["hook", "claude-code", "user-prompt-submit"], tmp_path, json.dumps(payload))
    recall = _memory(["recall", "--offline", QUERY], tmp_path)
    assert "Deploy freeze" in json.loads(hook.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "== Deploy freeze" in recall.stdout
    for proc in (hook, recall):
        loaded = _imported(proc.stderr)
        assert "memdir.daemon.client" in loaded
        # No socket file: the client has nothing to connect to, nor a key to hash.
        unwanted = NEVER | {"socket", "hashlib"}
        if "memdir.recall.lean" in loaded:
            # Recall here through the persisted index (`recall.lean`): no records either.
            unwanted |= {"dataclasses", "inspect", "typing", "memdir.store.folder"}
        else:
            unwanted -= {"difflib"}  # the store's validation, behind the older recaller
        assert not loaded & unwanted, sorted(loaded & unwanted)
