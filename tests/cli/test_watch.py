"""`memory watch --detach/--status/--stop`, and `memory recall` through the daemon."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.daemon.files import DaemonFiles
from memdir.daemon.wire import daemon_stats, ping
from tests.conftest import memory_cmd, subprocess_env

MEMORY = "---\nname: {name}\ndescription: {description}\ntype: {type}\n---\n\n{body}\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def filled(memory_dir: Path) -> Path:
    """A folder with a few memories a recall query can find."""
    for stem, description, kind in [
        ("deploy", "how the billing service is deployed to staging", "project"),
        ("tests", "why the webhook tests are flaky on CI", "feedback"),
        ("role", "the user is a Go engineer new to React", "user"),
    ]:
        (memory_dir / f"{stem}.md").write_text(
            MEMORY.format(
                name=stem.title(), description=description, type=kind, body=f"About {stem}."
            )
        )
    return memory_dir


def memory(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*memory_cmd(), *args], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture
def detached(filled: Path) -> Iterator[int]:
    """`memory watch --detach` on the filled folder; yields the daemon's pid."""
    started = memory("--dir", str(filled), "watch", "--detach")
    assert started.returncode == 0, started.stderr
    pid = int(started.stdout.split("(pid ")[1].split(")")[0])
    try:
        yield pid
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_status_when_nothing_runs(runner: CliRunner, memory_dir: Path) -> None:
    result = runner.invoke(cli, ["--dir", str(memory_dir), "watch", "--status"])
    assert result.exit_code == 1
    assert result.output == f"{memory_dir}: not running\n"


def test_only_one_action_at_a_time(runner: CliRunner, memory_dir: Path) -> None:
    result = runner.invoke(cli, ["--dir", str(memory_dir), "watch", "--status", "--stop"])
    assert result.exit_code == 2
    assert "use only one of --detach, --status and --stop" in result.stderr


def test_stop_when_nothing_runs(runner: CliRunner, memory_dir: Path) -> None:
    result = runner.invoke(cli, ["--dir", str(memory_dir), "watch", "--stop"])
    assert result.exit_code == 0
    assert result.output == f"No memory watch is running for {memory_dir}.\n"


def test_a_crashed_daemons_files_are_reported_stale_and_removed_by_stop(
    runner: CliRunner, memory_dir: Path
) -> None:
    files = DaemonFiles.for_folder(memory_dir)
    files.pid.parent.mkdir(parents=True, mode=0o700)
    files.socket.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    pid = _dead_pid()
    files.pid.write_text(f"{pid}\n")
    files.lock.touch()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(files.socket))
    status = runner.invoke(cli, ["--dir", str(memory_dir), "watch", "--status"])
    assert status.exit_code == 1
    assert f"stale (pid {pid} is gone)" in status.output
    stop = runner.invoke(cli, ["--dir", str(memory_dir), "watch", "--stop"])
    assert stop.exit_code == 0
    assert f"crashed daemon (pid {pid})" in stop.output
    assert not files.pid.exists() and not files.socket.exists()


def test_watch_dir_options_add_folders(runner: CliRunner, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    result = runner.invoke(cli, ["--dir", str(a), "watch", "--dir", str(b), "--status", "--json"])
    assert result.exit_code == 1
    assert [s["folder"] for s in json.loads(result.output)] == [str(a), str(b)]
    only_b = runner.invoke(cli, ["watch", "--dir", str(b), "--status", "--json"])
    assert [s["folder"] for s in json.loads(only_b.output)] == [str(b)]


def test_help_explains_the_command(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["watch", "--help"])
    assert result.exit_code == 0
    assert "memory watch --detach" in result.output
    assert "--transcripts" in result.output


def test_detach_status_second_start_and_stop(filled: Path, detached: int) -> None:
    assert (ping(filled) or {}).get("pid") == detached
    status = memory("--dir", str(filled), "watch", "--status")
    assert status.returncode == 0
    assert status.stdout.startswith(f"{filled}: running (pid {detached}) since ")
    again = memory("--dir", str(filled), "watch", "--detach")
    assert again.returncode == 2
    assert f"(pid {detached})" in again.stderr
    stop = memory("--dir", str(filled), "watch", "--stop")
    assert stop.returncode == 0
    assert stop.stdout == f"Stopped memory watch (pid {detached}) for {filled}.\n"
    deadline = time.monotonic() + 10
    while _alive(detached) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(detached)
    after = memory("--dir", str(filled), "watch", "--status")
    assert after.returncode == 1
    assert after.stdout == f"{filled}: not running\n"


@pytest.mark.parametrize(
    "extra", [pytest.param(["--no-verify"], id="no-verify"), pytest.param([], id="verified")]
)
def test_recall_through_the_daemon_matches_recall_without_it(
    filled: Path, detached: int, extra: list[str]
) -> None:
    query = "why are the webhook tests flaky"
    args = ["--dir", str(filled), "recall", query, *extra]
    via_daemon = memory(*args, "--json")
    assert (daemon_stats(filled) or {})["counts"]["recalls"] == 1  # the daemon answered
    local = memory(*args, "--json", "--no-daemon")
    assert (daemon_stats(filled) or {})["counts"]["recalls"] == 1  # and this one did not
    assert via_daemon.returncode == local.returncode == 0, via_daemon.stderr + local.stderr
    assert json.loads(via_daemon.stdout)["memories"][0]["filename"] == "tests.md"
    assert via_daemon.stdout == local.stdout
    human = memory(*args, "--explain")
    human_local = memory(*args, "--explain", "--no-daemon")
    assert human.stdout == human_local.stdout
    assert "== Tests  [feedback]" in human.stdout


def test_memory_stats_shows_the_daemons_counters(filled: Path, detached: int) -> None:
    (filled / "new.md").write_text(
        MEMORY.format(name="New", description="a new note", type="user", body="x")
    )
    deadline = time.monotonic() + 10
    while "new.md" not in (filled / "MEMORY.md").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = memory("--dir", str(filled), "stats", "--json")
    counters = json.loads(stats.stdout)["counters"]
    assert counters["daemon_syncs"] >= 2  # the start-up reconcile and the batch
    assert counters["daemon_events"] >= 1


def test_recall_does_the_work_itself_when_the_socket_is_stale(
    runner: CliRunner, filled: Path
) -> None:
    files = DaemonFiles.for_folder(filled)
    files.socket.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(files.socket))
    args = ["--dir", str(filled), "recall", "how is billing deployed", "--json", "--no-verify"]
    try:
        result = runner.invoke(cli, args)
    finally:
        files.socket.unlink()
    assert result.exit_code == 0
    assert json.loads(result.output)["memories"][0]["filename"] == "deploy.md"
