"""Recall: pick the few memories that matter for a query, offline or with a model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .recaller import DEFAULT_BUDGET_S, Recaller, read_capped
from .result import RecalledMemory, RecallResult

if TYPE_CHECKING:
    from .prefetcher import Prefetch, prefetch

__all__ = [
    "DEFAULT_BUDGET_S",
    "Prefetch",
    "RecallResult",
    "RecalledMemory",
    "Recaller",
    "prefetch",
    "read_capped",
]


def __getattr__(name: str) -> Any:
    # The prefetcher pulls in asyncio: loaded only by callers that prefetch.
    if name in ("Prefetch", "prefetch"):
        from . import prefetcher as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
