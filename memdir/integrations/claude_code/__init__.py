"""Claude Code: its hook events, their JSON input, and installing the hooks in settings.json."""

from __future__ import annotations

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .hooks import run_hook
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
    from .prompt_hook import log_line, run_prompt_hook

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
    "run_prompt_hook",
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
    if name == "run_hook":
        from . import hooks as module
    elif name in ("log_line", "run_prompt_hook"):
        from . import prompt_hook as module
    elif name in _INSTALL:
        from . import install as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
