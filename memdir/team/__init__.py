"""Team memory: a shared ``team/`` folder synced through any git remote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .githook import install_for
    from .retry import RetryPolicy
    from .scope import TEAM_DIR, route, team_root
    from .share import Moved, share_memory, unshare_memory
    from .status import TeamStatus, team_status
    from .sync import InitResult, SyncResult, init_in_repo, init_team, sync_team

__all__ = [
    "TEAM_DIR",
    "InitResult",
    "Moved",
    "RetryPolicy",
    "SyncResult",
    "TeamStatus",
    "init_in_repo",
    "init_team",
    "install_for",
    "route",
    "share_memory",
    "sync_team",
    "team_root",
    "team_status",
    "unshare_memory",
]


def __getattr__(name: str) -> Any:
    # The store reads `scope` on every save and scan: importing the package must not
    # load git plumbing, so each name is loaded on first use (PEP 562).
    module: Any
    if name == "RetryPolicy":
        from . import retry as module
    elif name == "install_for":
        from . import githook as module
    elif name in ("TEAM_DIR", "route", "team_root"):
        from . import scope as module
    elif name in ("Moved", "share_memory", "unshare_memory"):
        from . import share as module
    elif name in ("TeamStatus", "team_status"):
        from . import status as module
    elif name in ("InitResult", "SyncResult", "init_in_repo", "init_team", "sync_team"):
        from . import sync as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
