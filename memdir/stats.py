"""Counters shared by every memdir process, kept in one small JSON file in the state folder.

Hooks, the CLI, the MCP server and the daemon are separate processes, so counters live on
disk: ``<state dir>/stats.json``, changed under a file lock and replaced atomically, so a
reader never needs the lock and never sees half a file. Counts bumped on every recall go
through `Stats.tally` instead: one appended line in ``stats.pending``, no lock and no
rename on the recall's path, folded into ``stats.json`` by the next `bump` or `set`, or
when the file grows past `PENDING_MAX_BYTES`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LockTimeoutError, StoreIOError
from .fsio import atomic_write, file_lock, read_json_object

# Not `from typing import ...`: every recall tallies, and typing costs its start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STATS_FILE = "stats.json"
PENDING_FILE = "stats.pending"
#: Appended counts are folded into stats.json once the pending file passes this size.
PENDING_MAX_BYTES = 64 * 1024

#: Long enough for any real holder (a read-modify-write of a tiny file), short enough
#: that a wedged holder cannot stall a recall for long.
_LOCK_TIMEOUT_S = 2.0


class _JsonFile:
    """A small JSON object on disk, read without a lock and changed under one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(f".{path.name}.lock")

    def read(self) -> dict[str, Any]:
        """The stored object; {} when the file is missing or unreadable.

        State files are advisory: a damaged one must not stop memdir, and the next
        write replaces it with a valid object.
        """
        return read_json_object(self.path) or {}

    @contextmanager
    def update(self) -> Iterator[dict[str, Any]]:
        """Yield the stored object under the lock; write it back if the block changed it.

        Raises:
            LockTimeoutError: another process held the lock for too long.
            StoreIOError: the new state could not be written.
        """
        with file_lock(self._lock_path, timeout=_LOCK_TIMEOUT_S):
            before = self.read()
            data = dict(before)
            yield data
            # Compare the text, not the dicts: True == 1 would hide a real change.
            text = json.dumps(data, sort_keys=True)
            if text != json.dumps(before, sort_keys=True):
                atomic_write(self.path, text, durable=False)


class Stats:
    """Named integer counters (and gauges) shared across processes.

    Updates are best effort: counters must never cost a recall, so a lock timeout or an
    unwritable state folder drops that one update instead of raising.
    """

    def __init__(self, state_dir: Path) -> None:
        self._file = _JsonFile(Path(state_dir) / STATS_FILE)
        self._pending = Path(state_dir) / PENDING_FILE

    @property
    def path(self) -> Path:
        """The JSON file holding the counters."""
        return self._file.path

    def bump(self, **counts: int) -> None:
        """Add each count to its counter (missing counters start at 0); zeros are skipped."""
        counts = {name: value for name, value in counts.items() if value}
        if not counts:
            return
        try:
            with self._file.update() as data:
                for name, value in counts.items():
                    data[name] = _as_int(data.get(name)) + value
                self._fold(data)
        except (LockTimeoutError, StoreIOError, OSError):
            return

    def tally(self, **counts: int) -> None:
        """Add counts without waiting for anyone: one line appended (best effort).

        For counters bumped on a hot path (every recall). A single ``O_APPEND`` write of a
        short line lands whole even with other processes writing at the same time.
        """
        counts = {name: value for name, value in counts.items() if value}
        if not counts:
            return
        line = (json.dumps(counts, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            fd = os.open(self._pending, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
        except OSError:
            return
        if size > PENDING_MAX_BYTES:
            try:
                with self._file.update() as data:
                    self._fold(data)
            except (LockTimeoutError, StoreIOError, OSError):
                return

    def _fold(self, data: dict[str, Any]) -> None:
        """Move the appended counts into `data` (called under the stats lock)."""
        taken = self._pending.with_name(f".{PENDING_FILE}.{os.getpid()}")
        try:
            os.replace(self._pending, taken)
        except OSError:
            return
        for name, value in _read_pending(taken).items():
            data[name] = _as_int(data.get(name)) + value
        with contextlib.suppress(OSError):
            os.unlink(taken)

    def set(self, **values: int) -> None:
        """Store gauges: each value replaces whatever was there."""
        if not values:
            return
        try:
            with self._file.update() as data:
                data.update(values)
                self._fold(data)
        except (LockTimeoutError, StoreIOError, OSError):
            return

    def read(self) -> dict[str, int]:
        """Every counter and gauge, sorted by name; non-integer entries are ignored."""
        data = self._file.read()
        for name, value in _read_pending(self._pending).items():
            data[name] = _as_int(data.get(name)) + value
        return {
            name: value
            for name, value in sorted(data.items())
            if isinstance(value, int) and not isinstance(value, bool)
        }

    def get(self, name: str) -> int:
        """One counter; 0 when it was never bumped."""
        return self.read().get(name, 0)


def _read_pending(path: Path) -> dict[str, int]:
    """The counts appended to `path`, summed; damaged lines are skipped."""
    totals: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return totals
    for line in text.splitlines():
        try:
            counts = json.loads(line)
        except ValueError:
            continue
        if isinstance(counts, dict):
            for name, value in counts.items():
                if isinstance(name, str) and _as_int(value):
                    totals[name] = totals.get(name, 0) + _as_int(value)
    return totals


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
