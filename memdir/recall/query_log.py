"""A bounded log of recent recall queries per memory folder, for consolidation's replay.

One JSON line per recall that chose something: time, query, chosen files. Written with a
single ``O_APPEND`` write (no lock, no read), so recall pays one small write; when the
file passes `MAX_BYTES` the newest `KEEP` lines are kept (a rare rewrite).
Consolidation replays these queries against its staged folder, to catch a plan that
would make a recalled memory unreachable (`memdir.dream.recall_gate`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from ..paths import folder_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .logged_query import LoggedQuery

MAX_BYTES = 128 * 1024
KEEP = 300


def log_path(state: Path, folder: Path) -> Path:
    return state / "recall-log" / f"{folder_key(folder)}.jsonl"


def append_query(state: Path, folder: Path, query: str, files: Sequence[str]) -> None:
    """Record a recall that chose `files` (best effort: logging never fails a recall)."""
    if not files:
        return
    path = log_path(state, folder)
    line = json.dumps({"at": round(time.time(), 3), "q": query[:500], "f": list(files)}) + "\n"
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > MAX_BYTES:
            from ..fsio import atomic_write

            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            atomic_write(path, "\n".join(lines[-KEEP:]) + "\n", mode=0o600, durable=False)


def read_queries(state: Path, folder: Path) -> list[LoggedQuery]:
    """The logged recalls, oldest first; unreadable lines skipped."""
    from .logged_query import LoggedQuery  # a record: kept off the recall path

    try:
        lines = log_path(state, folder).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines[-KEEP:]:
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            data = json.loads(line)
            files = tuple(str(f) for f in data["f"])
            out.append(LoggedQuery(float(data["at"]), str(data["q"]), files))
    return out
