"""Per-session recall state shared between processes: what was already surfaced.

Hooks run as separate processes, one per prompt, so the surfaced set lives in a small
JSON file per session in the state folder, read and updated under a lock.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..fsio import atomic_write, file_lock

#: Total bytes of memory content one session may surface (about 60 KB).
SESSION_BYTE_BUDGET = 60 * 1024
#: Session files untouched for this long are removed when a new session starts.
SESSION_MAX_AGE_S = 14 * 86400

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True, slots=True)
class SessionState:
    """Paths already surfaced in a session and the bytes they used."""

    surfaced: frozenset[str]
    bytes_used: int

    @property
    def bytes_left(self) -> int:
        return max(0, SESSION_BYTE_BUDGET - self.bytes_used)


class SessionStore:
    """Reads and updates session files under ``<state>/sessions/``."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / "sessions"

    def _file(self, session_id: str) -> Path:
        if _SAFE_ID.match(session_id) and session_id not in (".", ".."):
            return self.folder / f"{session_id}.json"
        import hashlib  # only for ids that cannot be a file name as they are

        return self.folder / f"{hashlib.sha256(session_id.encode('utf-8')).hexdigest()[:32]}.json"

    def _read(self, path: Path) -> SessionState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return SessionState(frozenset(data.get("surfaced", [])), int(data.get("bytes", 0)))
        except (OSError, ValueError, TypeError, AttributeError):
            return SessionState(frozenset(), 0)

    def get(self, session_id: str | None) -> SessionState:
        """The session's state (empty for no session or a new one)."""
        if not session_id:
            return SessionState(frozenset(), 0)
        return self._read(self._file(session_id))

    def mark(self, session_id: str | None, surfaced: Iterable[tuple[str, int]]) -> SessionState:
        """Record (path, bytes) pairs as surfaced; paths already there are not counted twice."""
        items = list(surfaced)
        if not session_id or not items:
            return self.get(session_id)
        path = self._file(session_id)
        if not path.exists():
            self._forget_old_sessions()
        with file_lock(path.with_suffix(".lock"), timeout=5.0):
            state = self._read(path)
            paths = set(state.surfaced)
            used = state.bytes_used
            for item, size in items:
                if item not in paths:
                    paths.add(item)
                    used += size
            atomic_write(
                path,
                json.dumps({"surfaced": sorted(paths), "bytes": used}),
                mode=0o600,
                durable=False,
            )
        return SessionState(frozenset(paths), used)

    def _forget_old_sessions(self) -> None:
        """Remove session files (and their locks) nobody has touched in two weeks.

        Every hook session leaves a file behind; a new session is a cheap moment to tidy.
        """
        import time

        cutoff = time.time() - SESSION_MAX_AGE_S
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                continue
