"""What a session has already been shown, as plain values: the light half of `session`.

Hooks run as separate processes, one per prompt, so the surfaced set lives in a small
JSON file per session in the state folder, read and updated under a lock. These
functions are what the recall and hook paths call; `session.SessionStore` offers the
same as records to library callers.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

#: Total bytes of memory content one session may surface (about 60 KB).
SESSION_BYTE_BUDGET = 60 * 1024
#: Session files untouched for this long are removed when a new session starts.
SESSION_MAX_AGE_S = 14 * 86400

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def session_file(state_dir: Path, session_id: str) -> Path:
    """``<state>/sessions/<id>.json``; a hash names ids that cannot be a file name."""
    folder = state_dir / "sessions"
    if _SAFE_ID.match(session_id) and session_id not in (".", ".."):
        return folder / f"{session_id}.json"
    from ..paths import sha256_hex  # only for ids that cannot be a file name as they are

    return folder / f"{sha256_hex(session_id.encode('utf-8'))[:32]}.json"


def _read(path: Path) -> tuple[frozenset[str], int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return frozenset(data.get("surfaced", [])), int(data.get("bytes", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return frozenset(), 0


def read_seen(state_dir: Path, session_id: str | None) -> tuple[frozenset[str], int]:
    """(paths the session was shown, bytes of content they used); empty for no session."""
    if not session_id:
        return frozenset(), 0
    return _read(session_file(state_dir, session_id))


def mark_seen(
    state_dir: Path, session_id: str | None, surfaced: Iterable[tuple[str, int]]
) -> tuple[frozenset[str], int]:
    """Record (path, bytes) pairs as shown to the session; paths already there are not
    counted twice. The session's state afterwards, as `read_seen` gives it."""
    items = list(surfaced)
    if not session_id or not items:
        return read_seen(state_dir, session_id)
    from ..fsio import atomic_write, file_lock

    path = session_file(state_dir, session_id)
    if not path.exists():
        forget_old_sessions(path.parent)
    with file_lock(path.with_suffix(".lock"), timeout=5.0):
        seen, used = _read(path)
        paths = set(seen)
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
    return frozenset(paths), used


def forget_old_sessions(folder: Path) -> None:
    """Remove session files (and their locks) nobody has touched in two weeks.

    Every hook session leaves a file behind; a new session is a cheap moment to tidy.
    """
    import time

    cutoff = time.time() - SESSION_MAX_AGE_S
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            continue
