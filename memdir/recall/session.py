"""Per-session recall state shared between processes, as records: what was surfaced.

The files and their locking are `seen`'s; this is the library's view of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .seen import SESSION_BYTE_BUDGET, mark_seen, read_seen


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
        self.state_dir = state_dir
        self.folder = state_dir / "sessions"

    def get(self, session_id: str | None) -> SessionState:
        """The session's state (empty for no session or a new one)."""
        return SessionState(*read_seen(self.state_dir, session_id))

    def mark(self, session_id: str | None, surfaced: Iterable[tuple[str, int]]) -> SessionState:
        """Record (path, bytes) pairs as surfaced; paths already there are not counted twice."""
        return SessionState(*mark_seen(self.state_dir, session_id, surfaced))
