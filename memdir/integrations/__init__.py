"""Ways into memdir from agents: the library hook, the MCP server and Claude Code's hooks."""

from __future__ import annotations

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .doctor import Check, diagnose
    from .library_hook import AsyncMemoryHook, MemoryHook
    from .mcp_server import serve

__all__ = ["AsyncMemoryHook", "Check", "MemoryHook", "diagnose", "serve"]


def __getattr__(name: str) -> Any:
    # Each entry point loads only its own module: the MCP SDK only for `serve`.
    module: Any
    if name in ("AsyncMemoryHook", "MemoryHook"):
        from . import library_hook as module
    elif name in ("Check", "diagnose"):
        from . import doctor as module
    elif name == "serve":
        from . import mcp_server as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
