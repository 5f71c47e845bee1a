"""When a run starts by itself: at most once per day, after enough sessions, lock free.

The gates are checked cheapest first, because the Stop hook asks after every turn:

1. time: one ``stat`` of the ``last`` file (24 h since the last consolidation);
2. sessions: how many sessions touched the folder since. A session counts when the
   extractor processed one of its turns for this folder after the last run, that is when
   its cursor file (``<state>/extract/<folder>/cursors/<session>.json``) changed since;
   one ``scandir`` of that folder, no parsing. Without a model nothing is extracted, so
   nothing counts and no automatic run starts: run ``memory dream`` by hand then;
3. the lock: a live holder means a run is already going.

A due run is started as a detached process (``python -m memdir.dream``), so the hook
returns at once and never imports the model SDK.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..detach import spawn_module
from .layout import DreamFiles
from .lock import current_holder
from .settings import DreamSettings

LOG_NAME = "dream.log"
#: After a trigger starts a run, no other is started for this long (see `maybe_start`).
RETRY_PAUSE_S = 600.0


@dataclass(frozen=True, slots=True)
class Due:
    """Whether an automatic run is due, and the gate that decided."""

    due: bool
    reason: str
    sessions: int | None = None


def sessions_since(folder: Path, state: Path, since: float | None) -> int:
    """Sessions whose turns the extractor processed for `folder` after `since`."""
    from ..extract.extractor import ExtractState

    cursors = ExtractState(state, folder).folder / "cursors"
    count = 0
    try:
        entries = list(os.scandir(cursors))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.endswith(".json"):
            continue
        try:
            if since is None or entry.stat().st_mtime > since:
                count += 1
        except OSError:
            continue
    return count


def check_due(
    folder: Path,
    state: Path,
    *,
    settings: DreamSettings | None = None,
    now: float | None = None,
    check_lock: bool = True,
) -> Due:
    """The gates, cheapest first: time since the last run, sessions since, the lock."""
    settings = settings or DreamSettings.from_env()
    now = time.time() if now is None else now
    files = DreamFiles.for_folder(folder, state)
    last = files.last_consolidated()
    if last is not None and now - last < settings.min_hours * 3600:
        hours = (now - last) / 3600
        return Due(
            False, f"last run {hours:.1f} h ago (runs at most every {settings.min_hours:g} h)"
        )
    sessions = sessions_since(files.folder, state, last)
    if sessions < settings.min_sessions:
        return Due(
            False,
            f"{sessions} session(s) since the last run (needs {settings.min_sessions})",
            sessions,
        )
    holder = current_holder(files, stale_s=settings.lock_stale_s, now=now) if check_lock else None
    if holder is not None:
        return Due(False, f"a run is going (pid {holder.pid})", sessions)
    return Due(True, f"{sessions} sessions since the last run", sessions)


def maybe_start(
    folder: Path,
    state: Path,
    *,
    settings: DreamSettings | None = None,
    now: float | None = None,
) -> Due:
    """Start a detached automatic run when one is due; returns the decision either way."""
    if DreamFiles.for_folder(folder, state).journal.exists():
        # An apply was interrupted: the run finishes it first (see memdir.dream.apply).
        spawn_detached(folder, state)
        return Due(True, "an interrupted apply to finish")
    decision = check_due(folder, state, settings=settings, now=now)
    if not decision.due:
        return decision
    # A run that fails (a dead API, say) leaves "last consolidated" where it was, so the
    # gates stay open: without this pause every turn would start another doomed run.
    files = DreamFiles.for_folder(folder, state)
    current = time.time() if now is None else now
    try:
        since = current - files.attempt.stat().st_mtime
    except OSError:
        since = None
    if since is not None and since < RETRY_PAUSE_S:
        return Due(False, f"a run was started {since:.0f} s ago", decision.sessions)
    files.root.mkdir(parents=True, exist_ok=True)
    files.attempt.touch()
    os.utime(files.attempt, (current, current))
    spawn_detached(folder, state)
    return decision


def spawn_detached(folder: Path, state: Path) -> None:
    """Run ``python -m memdir.dream --auto`` for `folder` in its own session, logging to
    ``<state>/logs/dream.log``. The run re-checks the gates under the lock."""
    spawn_module(
        "memdir.dream",
        "--dir",
        str(folder),
        "--auto",
        state=state,
        log=state / "logs" / LOG_NAME,
        label="memdir-dream",
    )
