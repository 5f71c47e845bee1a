"""What ``memory dream --status`` and ``--show`` report: the last run, the next, the lock."""

from __future__ import annotations

import time
from typing import Any

from ..errors import MemoryNotFoundError
from ..store.folder import MemoryDir
from .apply import pending, recover
from .layout import DreamFiles
from .lock import current_holder, read_holder
from .settings import DreamSettings
from .triggers import check_due, sessions_since


def show(store: MemoryDir, run_id: str | None = None) -> dict[str, Any]:
    """A recorded run (the newest when `run_id` is None), as saved.

    Raises:
        MemoryNotFoundError: no such run (or none yet).
    """
    files = DreamFiles.for_folder(store.path, store.state_path)
    ids = files.run_ids()
    if run_id is None:
        if not ids:
            raise MemoryNotFoundError(
                "no consolidation run yet; `memory dream` makes one", path=store.path
            )
        run_id = ids[-1]
    matches = [i for i in ids if i == run_id or i.startswith(run_id)]
    data = files.load_run(matches[-1]) if matches else None
    if data is None:
        raise MemoryNotFoundError(
            f"no consolidation run {run_id!r}; `memory dream --status` lists the last",
            path=store.path,
        )
    return data


def status(
    store: MemoryDir, *, settings: DreamSettings | None = None, now: float | None = None
) -> dict[str, Any]:
    """Last run, when the next automatic run is due, who holds the lock."""
    settings = settings or DreamSettings.from_env()
    now = time.time() if now is None else now
    files = DreamFiles.for_folder(store.path, store.state_path)
    recovered = recover(store, files) if store.exists() else None
    last = files.last_consolidated()
    ids = files.run_ids()
    last_run = files.load_run(ids[-1]) if ids else None
    sessions = sessions_since(store.path, store.state_path, last)
    holder = read_holder(files)
    live = current_holder(files, stale_s=settings.lock_stale_s, now=now)
    due_at = None if last is None else last + settings.min_hours * 3600
    return {
        "folder": str(store.path),
        "last_consolidated": last,
        "last_run": None
        if last_run is None
        else {
            k: last_run.get(k) for k in ("run", "status", "trigger", "mode", "started", "message")
        },
        "next": {
            "time_ok_at": due_at,
            "time_ok": due_at is None or now >= due_at,
            "sessions": sessions,
            "sessions_needed": settings.min_sessions,
            "due": check_due(store.path, store.state_path, settings=settings, now=now).due,
        },
        "lock": None if holder is None else {**holder.to_json(), "live": live is not None},
        "recovered": recovered,
        "pending_apply": pending(files) is not None,
        "state": str(files.root),
        "archive": str(files.root / "archive"),
    }
