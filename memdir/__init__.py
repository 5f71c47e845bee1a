"""memdir: an AI agent's memory as plain Markdown files.

The public API is re-exported here. Importing memdir never imports the `anthropic` SDK;
that happens only when a model call is actually made.
"""

from .errors import (
    CircuitOpenError,
    ConfigurationError,
    InvalidMemoryError,
    LockTimeoutError,
    MemdirError,
    MemoryExistsError,
    MemoryNotFoundError,
    ModelError,
    SecretDetectedError,
    StoreIOError,
    UnsafePathError,
)
from .paths import claude_memory_dir, find_git_root, resolve_memory_dir, sanitize_path
from .prompt import build_memory_prompt
from .store import MemoryDir, SaveResult
from .types import Memory, MemoryHeader, MemoryType, ScanProblem, ScanReport

__all__ = [
    "CircuitOpenError",
    "ConfigurationError",
    "InvalidMemoryError",
    "LockTimeoutError",
    "MemdirError",
    "Memory",
    "MemoryDir",
    "MemoryExistsError",
    "MemoryHeader",
    "MemoryNotFoundError",
    "MemoryType",
    "ModelError",
    "SaveResult",
    "ScanProblem",
    "ScanReport",
    "SecretDetectedError",
    "StoreIOError",
    "UnsafePathError",
    "build_memory_prompt",
    "claude_memory_dir",
    "find_git_root",
    "resolve_memory_dir",
    "sanitize_path",
]
