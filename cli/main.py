"""Console entry point of `memory`.

Claude Code runs ``memory hook claude-code <event>`` on every prompt, so that exact
command line skips click (and its import) and goes straight to the library, which never
raises and never exits non-zero. A plain ``memory [--dir D] recall QUERY [options]`` line
skips click too (`recall_text`). Everything else goes through the click group in `app`.
"""

from __future__ import annotations

import os
import sys

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_FAST_HOOK_EVENTS = frozenset({"user-prompt-submit", "stop", "session-end"})


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if len(args) == 3 and args[:2] == ["hook", "claude-code"] and args[2] in _FAST_HOOK_EVENTS:
        from .hook_runner import run_claude_code_hook

        explicit = os.environ.get("MEMDIR_DIR")
        run_claude_code_hook(args[2], explicit or None)
        # Everything is written and flushed; skipping the interpreter's teardown (module
        # cleanup, garbage collection) saves about 10 ms on every prompt.
        os._exit(0)
    if "recall" in args[:3]:
        from .recall_text import parse_plain_recall, run_plain_recall

        options = parse_plain_recall(args)
        if options is not None:
            _exit_fast(run_plain_recall(options))
            return
    from .app import cli

    try:
        cli(prog_name="memory")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    _exit_fast(code)


def _exit_fast(code: int | str | None) -> None:
    """Exit without the interpreter's teardown when nothing else is running.

    Module cleanup and garbage collection at exit cost ~10 ms, a noticeable share of a
    short command. Only taken when this is the last thread: anything still running
    (a worker, a server) gets the normal shutdown, which waits for it.
    """
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    # Without `threading` loaded no thread was started through it (importing it just to
    # ask would cost a recall a millisecond).
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code or 0)


def __getattr__(name: str) -> Any:
    # `from memdir_cli.main import cli` keeps working without importing click up front.
    if name in ("cli", "MemoryGroup", "LAZY_COMMANDS"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
