"""Recall: pick the few memories that matter for a query, offline or with a model."""

from __future__ import annotations

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .bodies import read_capped
    from .prefetcher import Prefetch, prefetch
    from .recaller import DEFAULT_BUDGET_S, Recaller
    from .result import RecalledMemory, RecallResult
    from .textsearch import SearchHit, search

__all__ = [
    "DEFAULT_BUDGET_S",
    "Prefetch",
    "RecallResult",
    "RecalledMemory",
    "Recaller",
    "SearchHit",
    "prefetch",
    "read_capped",
    "search",
]

_MODULES = {
    "DEFAULT_BUDGET_S": "recaller",
    "Recaller": "recaller",
    "read_capped": "bodies",
    "RecallResult": "result",
    "RecalledMemory": "result",
    "Prefetch": "prefetcher",
    "prefetch": "prefetcher",
    "SearchHit": "textsearch",
    "search": "textsearch",
}


def __getattr__(name: str) -> Any:
    # Each name is loaded on first use: the result records are all a hook answered by
    # the daemon needs, the recaller pulls in the store, and the prefetcher asyncio.
    module: Any
    where = _MODULES.get(name)
    if where == "recaller":
        from . import recaller as module
    elif where == "bodies":
        from . import bodies as module
    elif where == "result":
        from . import result as module
    elif where == "prefetcher":
        from . import prefetcher as module
    elif where == "textsearch":
        from . import textsearch as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
