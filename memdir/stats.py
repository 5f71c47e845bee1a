"""Counters shared by every memdir process, kept in one small JSON file in the state folder.

Hooks, the CLI, the MCP server and the daemon are separate processes, so counters live on
disk: ``<state dir>/stats.json``, changed under a file lock and replaced atomically, so a
reader never needs the lock and never sees half a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import LockTimeoutError, StoreIOError
from .fsio import atomic_write, file_lock

STATS_FILE = "stats.json"

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
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

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
        except (LockTimeoutError, StoreIOError, OSError):
            return

    def set(self, **values: int) -> None:
        """Store gauges: each value replaces whatever was there."""
        if not values:
            return
        try:
            with self._file.update() as data:
                data.update(values)
        except (LockTimeoutError, StoreIOError, OSError):
            return

    def read(self) -> dict[str, int]:
        """Every counter and gauge, sorted by name; non-integer entries are ignored."""
        data = self._file.read()
        return {
            name: value
            for name, value in sorted(data.items())
            if isinstance(value, int) and not isinstance(value, bool)
        }

    def get(self, name: str) -> int:
        """One counter; 0 when it was never bumped."""
        return self.read().get(name, 0)


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
