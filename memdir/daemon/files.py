"""The daemon's files: finding, locking, starting and stopping `memory watch` processes.

One process may watch several memory folders, but each folder has at most one daemon.
Per folder, the state folder's ``daemon/`` holds::

    <key>.lock         flock held for the daemon's life: the kernel drops it on any exit,
                       so a crash (even kill -9) never blocks the next start
    <key>.pid          the holder's pid, so a second start can name it
    <key>.status.json  pid, folders, last batch, counters (read by --status, no IPC)
    <key>.log          rotating log
    <key>.sock         the recall socket (see memdir.daemon.wire for long paths)
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..errors import (
    ConfigurationError,
    DaemonAlreadyRunningError,
    DaemonError,
    MemdirError,
)
from ..fsio import HeldLock, atomic_write, read_json_object, try_lock
from ..paths import folder_key
from ..paths import state_dir as default_state_dir
from .wire import PROTOCOL_VERSION, daemon_dir, ping, short_socket_dir, socket_path

logger = logging.getLogger("memdir.daemon.service")

#: Long enough to coalesce an editor's save or a git checkout, short enough to feel instant.
DEFAULT_DEBOUNCE_S = 0.25
#: Transcripts are appended in bursts while the agent works; wait for a pause.
TRANSCRIPT_DEBOUNCE_S = 0.5
DRAIN_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class DaemonFiles:
    """Where the daemon for one memory folder keeps its state."""

    folder: Path
    lock: Path
    pid: Path
    status: Path
    log: Path
    socket: Path

    @classmethod
    def for_folder(cls, memory_dir: Path, *, state_dir: Path | None = None) -> DaemonFiles:
        state = state_dir if state_dir is not None else default_state_dir()
        base = daemon_dir(state)
        key = folder_key(memory_dir)
        return cls(
            folder=Path(os.path.abspath(memory_dir)),
            lock=base / f"{key}.lock",
            pid=base / f"{key}.pid",
            status=base / f"{key}.status.json",
            log=base / f"{key}.log",
            socket=socket_path(memory_dir, state_dir=state),
        )


@dataclass(frozen=True, slots=True)
class DaemonStatus:
    """What the pid and status files say: ``running``, ``stale`` or ``not running``."""

    state: Literal["running", "stale", "not running"]
    pid: int | None
    files: DaemonFiles
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.files.folder),
            "state": self.state,
            "pid": self.pid,
            "log": str(self.files.log),
            "status": self.info,
        }


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _remove_leftovers(files: DaemonFiles) -> None:
    """Delete a dead daemon's pid file and socket (call only while holding the lock)."""
    for leftover in (files.pid, files.socket):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def daemon_status(memory_dir: Path, *, state_dir: Path | None = None) -> DaemonStatus:
    """Whether a daemon holds `memory_dir`, from its files alone (no socket needed)."""
    files = DaemonFiles.for_folder(memory_dir, state_dir=state_dir)
    pid = _read_pid(files.pid)
    info = read_json_object(files.status) or {}
    if not files.lock.exists():
        return DaemonStatus("not running", None, files, info)
    held = try_lock(files.lock)
    if held is None:
        return DaemonStatus("running", pid, files, info)
    held.release()
    return DaemonStatus("stale" if pid is not None else "not running", pid, files, info)


def stop_daemon(
    memory_dir: Path, *, state_dir: Path | None = None, timeout: float = 15.0
) -> DaemonStatus:
    """Send SIGTERM to the daemon holding `memory_dir` and wait until it is gone.

    A stale pid file and socket are removed instead. Returns the status before stopping.

    Raises:
        DaemonError: the daemon was still running after `timeout` seconds, or has not
            written its pid yet.
    """
    status = daemon_status(memory_dir, state_dir=state_dir)
    files = status.files
    if status.state == "stale":
        held = try_lock(files.lock)
        if held is not None:
            _remove_leftovers(files)
            held.release()
        return status
    if status.state != "running":
        return status
    if status.pid is None:
        raise DaemonError("a daemon is starting for this folder; try again", path=memory_dir)
    with contextlib.suppress(ProcessLookupError):
        os.kill(status.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon_status(memory_dir, state_dir=state_dir).state != "running":
            return status
        time.sleep(0.05)
    raise DaemonError(
        f"the daemon (pid {status.pid}) did not stop within {timeout:.0f} s; "
        f"`kill -9 {status.pid}` ends it",
        path=memory_dir,
    )


def spawn_daemon(
    argv: Sequence[str],
    memory_dirs: Sequence[Path],
    *,
    state_dir: Path | None = None,
    timeout: float = 30.0,
) -> int:
    """Start `argv` (a foreground ``memory watch``) in its own session, in the background.

    Returns its pid once every folder's socket answers. Output goes to the first folder's
    log file.

    Raises:
        DaemonAlreadyRunningError: a folder already has a daemon.
        DaemonError: the daemon exited or did not answer in time.
    """
    state = state_dir if state_dir is not None else default_state_dir()
    for memory_dir in memory_dirs:
        status = daemon_status(memory_dir, state_dir=state)
        if status.state == "running":
            raise _already_running(status.files.folder, status.pid)
    log = DaemonFiles.for_folder(memory_dirs[0], state_dir=state).log
    _private_dir(log.parent)
    with open(log, "ab") as out:
        os.chmod(log, 0o600)
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            close_fds=True,
            # The child must use this state folder even if ours came from a relative path.
            env={**os.environ, "MEMDIR_STATE_DIR": os.path.abspath(state)},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            tail = _tail(log)
            if code == DaemonAlreadyRunningError.exit_code and "already" in tail:
                last = tail.splitlines()[-1] if tail else "already running"
                raise DaemonAlreadyRunningError(last.removeprefix("Error: "))
            raise DaemonError(f"the daemon exited with code {code}; last log lines:\n{tail}")
        answers = [ping(d, state_dir=state, timeout=0.2) for d in memory_dirs]
        if all(a is not None and a.get("pid") == proc.pid for a in answers):
            # The child outlives us on purpose; tell Popen not to warn about it.
            proc.returncode = 0
            return proc.pid
        time.sleep(0.05)
    proc.terminate()
    raise DaemonError(
        f"the daemon (pid {proc.pid}) did not answer within {timeout:.0f} s; see {log}"
    )


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _already_running(folder: Path, pid: int | None) -> DaemonAlreadyRunningError:
    who = f"pid {pid}" if pid is not None else "another process"
    return DaemonAlreadyRunningError(
        f"memory watch is already running for this folder ({who}); "
        "`memory watch --status` shows it, `memory watch --stop` stops it",
        path=folder,
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a small state file (owner-only); failures are logged, not raised."""
    try:
        atomic_write(path, json.dumps(data, indent=2, default=str) + "\n", mode=0o600)
    except MemdirError as exc:
        logger.warning("cannot write %s: %s", path, exc)


def prepare_dirs(state: Path, files: Sequence[DaemonFiles]) -> None:
    """Create the daemon folder (and the short socket folder if used), owner-only.

    Raises:
        ConfigurationError: the short socket folder exists but belongs to someone else.
    """
    _private_dir(daemon_dir(state))
    if any(f.socket.parent != daemon_dir(state) for f in files):
        short = short_socket_dir()
        _private_dir(short)
        if hasattr(os, "getuid") and os.lstat(short).st_uid != os.getuid():
            raise ConfigurationError(
                "the socket folder belongs to another user; remove it or set a shorter "
                "MEMDIR_STATE_DIR",
                path=short,
            )


class FolderLocks:
    """The per-folder flocks plus pid files, taken all or nothing."""

    def __init__(self, files: Sequence[DaemonFiles]) -> None:
        self.files = list(files)
        self._held: list[HeldLock] = []

    def acquire(self) -> None:
        """Raises DaemonAlreadyRunningError naming the holder's pid."""
        for files in self.files:
            held = try_lock(files.lock)
            if held is None:
                self.release()
                raise _already_running(files.folder, _read_pid(files.pid))
            self._held.append(held)
            _remove_leftovers(files)
            atomic_write(files.pid, f"{os.getpid()}\n", mode=0o600)

    def release(self) -> None:
        """Remove pid files, then drop the locks (in that order: see `acquire`)."""
        for files, held in zip(self.files, self._held, strict=False):
            with contextlib.suppress(FileNotFoundError):
                files.pid.unlink()
            held.release()
        self._held = []


def ping_payload(folder: Path) -> dict[str, Any]:
    return {"ok": True, "pid": os.getpid(), "folder": str(folder), "protocol": PROTOCOL_VERSION}
