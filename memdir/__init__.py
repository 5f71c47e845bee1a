"""memdir: an AI agent's memory as plain Markdown files.

The public API is re-exported here. Importing memdir never imports the `anthropic` SDK;
that happens only when a model call is actually made.
"""

from __future__ import annotations

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    from .integrations.library_hook import AsyncMemoryHook, MemoryHook
    from .paths import claude_memory_dir, find_git_root, resolve_memory_dir, sanitize_path
    from .recall.prefetcher import Prefetch, prefetch
    from .recall.recaller import Recaller
    from .recall.result import RecalledMemory, RecallResult
    from .store.folder import MemoryDir, SaveResult
    from .store.prompt import build_memory_prompt
    from .types import Memory, MemoryHeader, MemoryType, ScanProblem, ScanReport


_ERRORS = frozenset(
    {
        "CircuitOpenError",
        "ConfigurationError",
        "InvalidMemoryError",
        "LockTimeoutError",
        "MemdirError",
        "MemoryExistsError",
        "MemoryNotFoundError",
        "ModelError",
        "SecretDetectedError",
        "StoreIOError",
        "UnsafePathError",
    }
)


def __getattr__(name: str) -> Any:
    # PEP 562: each public name is loaded on first use, so `import memdir` (and the CLI,
    # and every hook) pays only for what it touches.
    module: Any
    if name in _ERRORS:
        from . import errors as module
    elif name in ("Memory", "MemoryHeader", "MemoryType", "ScanProblem", "ScanReport"):
        from . import types as module
    elif name in ("claude_memory_dir", "find_git_root", "resolve_memory_dir", "sanitize_path"):
        from . import paths as module
    elif name in ("MemoryDir", "SaveResult"):
        from .store import folder as module
    elif name == "build_memory_prompt":
        from .store import prompt as module
    elif name == "Recaller":
        from .recall import recaller as module
    elif name in ("RecallResult", "RecalledMemory"):
        from .recall import result as module
    elif name in ("Prefetch", "prefetch"):
        from .recall import prefetcher as module
    elif name in ("AsyncMemoryHook", "MemoryHook"):
        from .integrations import library_hook as module
    else:
        raise AttributeError(f"module 'memdir' has no attribute {name!r}")
    value = getattr(module, name)
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
