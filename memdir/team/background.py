"""Team sync without anyone asking: the daemon's sync thread, and the Stop hook's hand-off.

`memory watch` keeps a `BackgroundSync` per memory folder with a team clone: local
changes are pushed after about 2 s of quiet, and the remote is fetched on start and every
few minutes. Without a daemon, the Stop hook calls `spawn_sync`, which starts a detached
``python -m memdir.team`` process and returns at once; that process syncs only when
something waits to be shared or the last fetch is old.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..detach import spawn_module
from ..errors import MemdirError
from ..store.folder import MemoryDir
from .retry import RetryPolicy
from .scope import TEAM_DIR, read_pointer

logger = logging.getLogger("memdir.daemon.service")

#: Push this long after the last local change (the anchor's watcher waits 2 s too).
QUIET_S = 2.0
#: Fetch the team's changes this often when nothing happens locally.
FETCH_EVERY_S = 300.0


def seconds_from_env(name: str, default: float) -> float:
    try:
        return max(0.05, float(os.environ.get(name, default)))
    except ValueError:
        return default


def has_team_clone(memory_dir: Path) -> bool:
    """Whether `memory_dir` holds a team clone to sync (one ``stat``; in-repo mode: no)."""
    team = memory_dir / TEAM_DIR
    return (team / ".git").is_dir() and not team.is_symlink()


def needs_sync(store: MemoryDir, *, fetch_every_s: float) -> bool:
    """Something waits to be shared, or the last sync is older than `fetch_every_s`."""
    from .repo import TeamRepo

    repo = TeamRepo.open(store.path, state=store.state_path)
    if repo.changed_paths():
        return True
    head, upstream = repo.head(), repo.upstream()
    if head is not None and head != upstream:
        return True
    last = read_pointer(store.path, store.state_path).get("last_attempt")
    if not isinstance(last, str):
        return True
    try:
        age = (datetime.now(UTC) - datetime.fromisoformat(last)).total_seconds()
    except ValueError:
        return True
    return age >= fetch_every_s


def spawn_sync(memory_dir: Path, state: Path) -> bool:
    """Start a detached sync process for `memory_dir`; False when there is no team clone."""
    if not has_team_clone(memory_dir):
        return False
    spawn_module("memdir.team", str(memory_dir), state=state, log=None, label="memdir-team-sync")
    return True


class BackgroundSync:
    """The daemon's sync thread for one memory folder (see the module docstring)."""

    def __init__(
        self,
        store: MemoryDir,
        *,
        quiet_s: float | None = None,
        fetch_every_s: float | None = None,
        budget_s: float = 30.0,
    ) -> None:
        self.store = store
        self.quiet_s = (
            quiet_s if quiet_s is not None else seconds_from_env("MEMDIR_TEAM_QUIET_S", QUIET_S)
        )
        self.fetch_every_s = (
            fetch_every_s
            if fetch_every_s is not None
            else seconds_from_env("MEMDIR_TEAM_FETCH_S", FETCH_EVERY_S)
        )
        self.policy = RetryPolicy(budget_s=budget_s)
        self._wake = threading.Condition()
        self._changed_at: float | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.syncs = 0
        self.last_result: dict[str, Any] | None = None
        self.last_error: str | None = None
        self.busy = False

    @classmethod
    def for_folder(cls, folder: Path, *, state: Path) -> BackgroundSync | None:
        """A sync thread for `folder` (not started), or None when it has no team clone."""
        if not has_team_clone(folder):
            return None
        return cls(MemoryDir(folder, state=state))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="memdir-team-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def poke(self) -> None:
        """Something changed in the folder: sync once it has been quiet for `quiet_s`."""
        with self._wake:
            self._changed_at = time.monotonic()
            self._wake.notify_all()

    def state(self) -> dict[str, Any]:
        """What `memory watch --status` shows about team sync."""
        record = read_pointer(self.store.path, self.store.state_path)
        return {
            "remote": record.get("remote"),
            "last_sync": record.get("last_sync"),
            "last_error": self.last_error,
            "syncing": self.busy,
            "pending": self._changed_at is not None,
            "syncs": self.syncs,
            "last_result": self.last_result,
            "fetch_every_s": self.fetch_every_s,
        }

    def _run(self) -> None:
        next_fetch = time.monotonic()  # fetch on start
        while True:
            with self._wake:
                while not self._stopping:
                    now = time.monotonic()
                    due = next_fetch
                    if self._changed_at is not None:
                        due = min(due, self._changed_at + self.quiet_s)
                    if now >= due:
                        break
                    self._wake.wait(due - now)
                if self._stopping:
                    return
                self._changed_at = None
            fetch_due = time.monotonic() >= next_fetch
            self._sync(force=fetch_due)
            if fetch_due:
                next_fetch = time.monotonic() + self.fetch_every_s

    def _sync(self, *, force: bool) -> None:
        from .sync import sync_team

        self.busy = True
        try:
            # Our own integration writes files too, and wakes us: sync only if something
            # really waits, so that does not turn into a fetch loop.
            if not force and not needs_sync(self.store, fetch_every_s=self.fetch_every_s):
                return
            result = sync_team(self.store, policy=self.policy)
            self.syncs += 1
            self.last_error = None
            self.last_result = {
                "at": time.time(),
                "committed": len(result.committed),
                "received": len(result.received),
                "conflicts": len(result.conflicts),
                "held_back": len(result.held_back),
                "pushed": result.pushed,
            }
            if result.committed or result.received or result.conflicts:
                logger.info(
                    "%s: team sync shared %d, received %d, %d conflict copies",
                    self.store.path, len(result.committed), len(result.received),
                    len(result.conflicts),
                )  # fmt: skip
        except MemdirError as exc:
            self.last_error = str(exc)
            logger.warning("%s: team sync failed: %s", self.store.path, exc)
        except Exception as exc:  # noqa: BLE001 - the daemon outlives any one sync
            self.last_error = f"{type(exc).__name__}: {exc}"
            logger.exception("%s: team sync crashed", self.store.path)
        finally:
            self.busy = False
