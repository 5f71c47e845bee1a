"""Consolidation ("dream"): merge, date, retire and tidy a memory folder, safely and undoably."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plan import Action, Plan, PlanEntry
    from .run import DreamRun, consolidate
    from .runs import show, status
    from .settings import DreamSettings
    from .triggers import Due, check_due, maybe_start

__all__ = [
    "Action",
    "DreamRun",
    "DreamSettings",
    "Due",
    "Plan",
    "PlanEntry",
    "check_due",
    "consolidate",
    "maybe_start",
    "show",
    "status",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the Stop hook asks `maybe_start` after every turn and must not
    # pay for the passes, the recall replay or the model boundary.
    module: Any
    if name in ("Action", "Plan", "PlanEntry"):
        from . import plan as module
    elif name in ("DreamRun", "consolidate"):
        from . import run as module
    elif name in ("show", "status"):
        from . import runs as module
    elif name == "DreamSettings":
        from . import settings as module
    elif name in ("Due", "check_due", "maybe_start"):
        from . import triggers as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
