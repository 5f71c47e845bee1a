"""One consolidation run per memory folder, across processes.

The lock is a holder file (``holder.json``: PID, start time, host) written and read under
a short ``flock`` (`memdir.fsio.file_lock`), so two processes that check at the same
moment cannot both take it. A holder file is stale, and is taken over, when its process
is dead or it is older than `DreamSettings.lock_stale_s` (a run that hangs must not block
consolidation forever). Apply additionally holds ``apply.lock`` with ``flock``, which the
kernel drops when its process dies, so a stale takeover can never run two applies at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from ..fsio import atomic_write, file_lock
from .layout import DreamFiles


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds (or held) the run lock."""

    pid: int
    started: float
    host: str
    run_id: str | None = None

    def alive(self) -> bool:
        """Whether the holder's process still runs (on another host: assumed so)."""
        if self.host != socket.gethostname():
            return True
        return pid_alive(self.pid)

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "started": self.started, "host": self.host, "run": self.run_id}


def pid_alive(pid: int) -> bool:
    """Whether a process with `pid` exists (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            if handle.read().rsplit(")", 1)[-1].split()[0] == "Z":
                return False
    return True


def read_holder(files: DreamFiles) -> Holder | None:
    """The recorded holder, or None when the lock is free or the file unreadable."""
    try:
        data = json.loads(files.holder.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), float(data["started"]), str(data["host"]), data.get("run"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_stale(holder: Holder, *, now: float, stale_s: float) -> bool:
    """A holder whose process is gone, or that has held the lock for over `stale_s`."""
    return not holder.alive() or now - holder.started > stale_s


def current_holder(files: DreamFiles, *, stale_s: float, now: float | None = None) -> Holder | None:
    """The live holder of the lock, or None when it is free (or held by a stale holder)."""
    holder = read_holder(files)
    if holder is None:
        return None
    return (
        None
        if is_stale(holder, now=time.time() if now is None else now, stale_s=stale_s)
        else holder
    )


class RunLock:
    """The run lock of one folder: `acquire` returns False when a live holder has it."""

    def __init__(self, files: DreamFiles, *, stale_s: float) -> None:
        self.files = files
        self.stale_s = stale_s
        self.held = False

    def acquire(self, run_id: str | None = None) -> bool:
        """Take the lock unless a live, fresh holder has it."""
        self.files.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.files.guard, timeout=10.0):
            if current_holder(self.files, stale_s=self.stale_s) is not None:
                return False
            mine = Holder(os.getpid(), time.time(), socket.gethostname(), run_id)
            atomic_write(self.files.holder, json.dumps(mine.to_json()), mode=0o600)
        self.held = True
        return True

    def still_mine(self) -> bool:
        """Whether the holder file still names this process (a stale takeover ends that)."""
        holder = read_holder(self.files)
        return (
            holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname()
        )

    def release(self) -> None:
        """Give the lock up if this process still holds it; safe to call twice."""
        if not self.held:
            return
        self.held = False
        with file_lock(self.files.guard, timeout=10.0):
            if self.still_mine():
                with contextlib.suppress(OSError):
                    self.files.holder.unlink()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
