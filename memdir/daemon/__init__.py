"""The `memory watch` daemon: folder and transcript watching, a socket server, and its client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .files import DaemonFiles, DaemonStatus, daemon_status, spawn_daemon, stop_daemon

if TYPE_CHECKING:
    from .service import WatchDaemon, run_daemon

__all__ = [
    "DaemonFiles",
    "DaemonStatus",
    "WatchDaemon",
    "daemon_status",
    "run_daemon",
    "spawn_daemon",
    "stop_daemon",
]


def __getattr__(name: str) -> Any:
    # The service imports watchdog; the files and the client (stdlib only) do not.
    if name in ("WatchDaemon", "run_daemon"):
        from . import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
