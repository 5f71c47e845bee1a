"""Claude Code: its hook events, their JSON input, and installing the hooks in settings.json."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hooks import log_line, run_hook
    from .install import (
        Scope,
        SettingsChange,
        apply_change,
        command_for,
        memory_command,
        plan_install,
        plan_uninstall,
        settings_path,
    )

__all__ = [
    "Scope",
    "SettingsChange",
    "apply_change",
    "command_for",
    "log_line",
    "memory_command",
    "plan_install",
    "plan_uninstall",
    "run_hook",
    "settings_path",
]

_INSTALL = frozenset(
    {
        "Scope",
        "SettingsChange",
        "apply_change",
        "command_for",
        "memory_command",
        "plan_install",
        "plan_uninstall",
        "settings_path",
    }
)


def __getattr__(name: str) -> Any:
    # Each hook run is its own process: it loads the hook module, never the installer.
    module: Any
    if name in ("log_line", "run_hook"):
        from . import hooks as module
    elif name in _INSTALL:
        from . import install as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
