"""The memory folder: the file format, scan, the MEMORY.md index, content rules and secrets."""

from .folder import MemoryDir, SaveResult

__all__ = ["MemoryDir", "SaveResult"]
