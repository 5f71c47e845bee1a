"""The memory folder: the file format, scan, the MEMORY.md index, content rules and secrets."""

from __future__ import annotations

# Each name loads on first use: the recall and hook paths import single store modules
# (the scan, the body reader), and the whole store costs them tens of milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .edit import save_edit
    from .folder import MemoryDir, SaveResult
    from .freshness import age_days
    from .index import IndexChanges
    from .indexsync import SyncResult
    from .prompt import build_memory_prompt

__all__ = [
    "IndexChanges",
    "MemoryDir",
    "SaveResult",
    "SyncResult",
    "age_days",
    "build_memory_prompt",
    "save_edit",
]


def __getattr__(name: str) -> Any:
    module: Any
    if name in ("MemoryDir", "SaveResult"):
        from . import folder as module
    elif name == "save_edit":
        from . import edit as module
    elif name == "age_days":
        from . import freshness as module
    elif name == "IndexChanges":
        from . import index as module
    elif name == "SyncResult":
        from . import indexsync as module
    elif name == "build_memory_prompt":
        from . import prompt as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
