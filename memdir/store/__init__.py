"""The memory folder: the file format, scan, the MEMORY.md index, content rules and secrets."""

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
