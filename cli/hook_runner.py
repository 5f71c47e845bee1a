"""The one runner of `memory hook claude-code EVENT`: stdin in, the hook's JSON out.

Its own module so that both ways in share it without importing each other: `main`'s
fast path (no click) and the click command in `commands_hook`.
"""

from __future__ import annotations

import sys


def run_claude_code_hook(event: str, memory_dir: str | None) -> None:
    """Read the hook's input on stdin, print its JSON answer (if any) on stdout.

    Never raises: exit 2 from a UserPromptSubmit hook would erase the user's prompt.
    A prompt goes the light way (`prompt_hook`: plain values, no records); the other
    events through `run_hook`.
    """
    import json
    from pathlib import Path

    folder = Path(memory_dir) if memory_dir else None
    try:
        if event == "user-prompt-submit":
            from memdir.integrations.claude_code import run_prompt_hook

            output = run_prompt_hook(sys.stdin.buffer.read(), memory_dir=folder)
        else:
            from memdir.integrations.claude_code import run_hook

            output = run_hook(event, sys.stdin.buffer.read(), memory_dir=folder)
        if output is not None:
            sys.stdout.write(json.dumps(output, ensure_ascii=False) + "\n")
    except Exception as exc:  # noqa: BLE001 - a hook must never fail the prompt
        from memdir.integrations.claude_code import log_line

        log_line(event, f"error in the command: {type(exc).__name__}: {exc}")
    finally:
        try:
            sys.stdout.flush()
        except OSError:  # Claude Code went away: nothing left to tell it
            pass
