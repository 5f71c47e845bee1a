"""Background extraction: turn the new messages of a conversation into memories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .extractor import ExtractionResult, Extractor, ExtractSettings, ExtractState
    from .queue import ExtractionQueue, ExtractionRequest, drain, schedule_extraction

__all__ = [
    "ExtractSettings",
    "ExtractState",
    "ExtractionQueue",
    "ExtractionRequest",
    "ExtractionResult",
    "Extractor",
    "drain",
    "schedule_extraction",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the Stop hook's fast path must not pay for the whole extractor.
    module: Any
    if name in ("ExtractSettings", "ExtractState", "ExtractionResult", "Extractor"):
        from . import extractor as module
    elif name in ("ExtractionQueue", "ExtractionRequest", "drain", "schedule_extraction"):
        from . import queue as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
