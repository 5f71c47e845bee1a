"""Background extraction: turn the new messages of a conversation into memories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .changes import FileChange
    from .extractor import (
        ExtractionResult,
        Extractor,
        ExtractSettings,
        ExtractState,
        api_save_listener,
    )
    from .queue import ExtractionQueue, ExtractionRequest, RunReport, drain
    from .schedule import (
        NO_MODEL,
        Scheduled,
        extract_now,
        schedule_extraction,
    )

__all__ = [
    "NO_MODEL",
    "ExtractSettings",
    "ExtractState",
    "ExtractionQueue",
    "ExtractionRequest",
    "ExtractionResult",
    "Extractor",
    "FileChange",
    "RunReport",
    "Scheduled",
    "api_save_listener",
    "drain",
    "extract_now",
    "schedule_extraction",
]

_SCHEDULE = frozenset({"NO_MODEL", "Scheduled", "extract_now", "schedule_extraction"})


def __getattr__(name: str) -> Any:
    # Loaded on first use: the Stop hook's fast path must not pay for the whole extractor.
    module: Any
    if name in ("ExtractSettings", "ExtractState", "ExtractionResult", "Extractor"):
        from . import extractor as module
    elif name == "api_save_listener":
        from . import extractor as module
    elif name in ("ExtractionQueue", "ExtractionRequest", "RunReport", "drain"):
        from . import queue as module
    elif name in _SCHEDULE:
        from . import schedule as module
    elif name == "FileChange":
        from . import changes as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
