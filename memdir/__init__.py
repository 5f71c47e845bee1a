"""memdir: an AI agent's memory as plain Markdown files.

The public API is re-exported here. Importing memdir never imports the `anthropic` SDK;
that happens only when a model call is actually made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it. Loaded on first use (PEP 562), so that
#: `import memdir` (and the CLI, and every hook) pays only for what it touches.
_EXPORTS: dict[str, str] = {
    "AsyncMemoryHook": "hook",
    "CircuitOpenError": "errors",
    "ConfigurationError": "errors",
    "InvalidMemoryError": "errors",
    "LockTimeoutError": "errors",
    "MemdirError": "errors",
    "Memory": "types",
    "MemoryDir": "store",
    "MemoryExistsError": "errors",
    "MemoryHeader": "types",
    "MemoryHook": "hook",
    "MemoryNotFoundError": "errors",
    "MemoryType": "types",
    "ModelError": "errors",
    "Prefetch": "prefetcher",
    "RecallResult": "recall",
    "RecalledMemory": "recall",
    "Recaller": "recall",
    "SaveResult": "store",
    "ScanProblem": "types",
    "ScanReport": "types",
    "SecretDetectedError": "errors",
    "StoreIOError": "errors",
    "UnsafePathError": "errors",
    "build_memory_prompt": "prompt",
    "claude_memory_dir": "paths",
    "find_git_root": "paths",
    "prefetch": "prefetcher",
    "resolve_memory_dir": "paths",
    "sanitize_path": "paths",
}

if TYPE_CHECKING:
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
    from .hook import AsyncMemoryHook, MemoryHook
    from .paths import claude_memory_dir, find_git_root, resolve_memory_dir, sanitize_path
    from .prefetcher import Prefetch, prefetch
    from .prompt import build_memory_prompt
    from .recall import RecalledMemory, Recaller, RecallResult
    from .store import MemoryDir, SaveResult
    from .types import Memory, MemoryHeader, MemoryType, ScanProblem, ScanReport


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'memdir' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AsyncMemoryHook",
    "CircuitOpenError",
    "ConfigurationError",
    "InvalidMemoryError",
    "LockTimeoutError",
    "MemdirError",
    "Memory",
    "MemoryDir",
    "MemoryExistsError",
    "MemoryHeader",
    "MemoryHook",
    "MemoryNotFoundError",
    "MemoryType",
    "ModelError",
    "Prefetch",
    "RecallResult",
    "RecalledMemory",
    "Recaller",
    "SaveResult",
    "ScanProblem",
    "ScanReport",
    "SecretDetectedError",
    "StoreIOError",
    "UnsafePathError",
    "build_memory_prompt",
    "claude_memory_dir",
    "find_git_root",
    "prefetch",
    "resolve_memory_dir",
    "sanitize_path",
]
