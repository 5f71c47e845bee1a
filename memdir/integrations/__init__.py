"""Ways into memdir from agents: the library hook, the MCP server and Claude Code's hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .library_hook import AsyncMemoryHook, MemoryHook

__all__ = ["AsyncMemoryHook", "MemoryHook"]


def __getattr__(name: str) -> Any:
    if name in ("AsyncMemoryHook", "MemoryHook"):
        from . import library_hook

        return getattr(library_hook, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
