"""The `memory watch` daemon: folder and transcript watching, a socket server, and its client."""

from __future__ import annotations

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .client import queue_extraction, recall, recall_json
    from .files import DaemonFiles, DaemonStatus, daemon_status, spawn_daemon, stop_daemon
    from .foreground import run_daemon
    from .service import WatchDaemon

__all__ = [
    "DaemonFiles",
    "DaemonStatus",
    "WatchDaemon",
    "daemon_status",
    "queue_extraction",
    "recall",
    "recall_json",
    "run_daemon",
    "spawn_daemon",
    "stop_daemon",
]


def __getattr__(name: str) -> Any:
    # Nothing is loaded up front: the client (stdlib only) sits on the hook's fast path,
    # the files module pulls in logging and subprocess, and the service watchdog.
    module: Any
    if name == "WatchDaemon":
        from . import service as module
    elif name == "run_daemon":
        from . import foreground as module
    elif name in ("DaemonFiles", "DaemonStatus", "daemon_status", "spawn_daemon", "stop_daemon"):
        from . import files as module
    elif name in ("queue_extraction", "recall", "recall_json"):
        from . import client as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
