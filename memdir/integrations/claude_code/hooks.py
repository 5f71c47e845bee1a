"""Claude Code's hooks: parsed hook input in, the JSON the hook prints out.

- ``UserPromptSubmit``: recall for the prompt (through the daemon when one runs, else
  here) and return the memories as ``additionalContext``. Claude Code loads ``MEMORY.md``
  itself, so only the recalled memories are injected. Its work is `prompt_hook`'s (kept
  free of records for start-up time); here it gets the records the others use.
- ``Stop``: queue extraction for the session transcript and return at once.
- ``SessionEnd``: queue a last extraction, for turns whose Stop never fired (such as an
  interrupted reply).

A hook must never break the user's prompt: `run_hook` turns every failure into "no
output" plus a line in ``<state>/hooks.log``. Exit code 2 from a ``UserPromptSubmit`` hook
would erase the prompt, so nothing here decides exit codes at all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import MemdirError
from .hook_input import (
    HookInput,
    StopInput,
    SubagentStopInput,
    UserPromptSubmitInput,
    parse_hook_input,
)
from .prompt_hook import (
    MAX_CONTEXT_CHARS,
    hook_memory_dir,
    log_error,
    log_line,
    prompt_context,
    run_prompt_hook,
)
from .prompt_hook import fit_context as fit_text

if TYPE_CHECKING:
    from ...store.folder import MemoryDir

# Imports of the store, the recaller and the extractor are deferred: when a daemon answers,
# the hook needs none of them, and start-up time is most of a hook's cost.

#: The events `run_hook` handles, by the name used on the command line.
EVENTS = ("user-prompt-submit", "stop", "session-end")


@dataclass(frozen=True, slots=True)
class Skipped:
    """The hook had nothing to do for this input: logged, never shown to the user."""

    reason: str


@dataclass(frozen=True, slots=True)
class FittedContext:
    """Recalled memories cut to Claude Code's limit, and the ones that made it in."""

    text: str
    kept: int
    total: int


def fit_context(
    rendered: str, names: Sequence[str], *, limit: int = MAX_CONTEXT_CHARS
) -> FittedContext:
    """Cut `rendered` (a `RecallResult.render()`) to `limit` characters at a memory boundary.

    `names` are the memories' names in rendered order (see `prompt_hook.fit_context`).
    """
    return FittedContext(*fit_text(rendered, names, limit=limit))


def memory_dir_for(
    data: HookInput, *, explicit: Path | None = None, env: Mapping[str, str] | None = None
) -> MemoryDir:
    """The memory folder for a hook: `explicit` (``--dir``), else Claude Code's for ``cwd``
    (see `prompt_hook.hook_memory_dir`)."""
    from ...store.folder import MemoryDir

    return MemoryDir(hook_memory_dir(data.cwd, explicit, env))


def user_prompt_submit(
    data: UserPromptSubmitInput,
    *,
    store: MemoryDir,
    use_daemon: bool = True,
    offline: bool = False,
) -> dict[str, Any] | Skipped | None:
    """Recall for the prompt: the hook output, None when nothing was recalled, or `Skipped`
    (a task notification, or no memory folder yet). See `prompt_hook.prompt_context`."""
    outcome = prompt_context(
        data.prompt,
        session_id=data.session_id,
        cwd=data.cwd,
        memory_dir=store.path,
        state_dir=store.state_path,
        use_daemon=use_daemon,
        offline=offline,
    )
    return Skipped(outcome) if isinstance(outcome, str) else outcome


def stop(data: StopInput, *, store: MemoryDir) -> Skipped | None:
    """Queue extraction for the transcript once it holds the turn that just ended.

    Skipped for a ``SubagentStop`` or when ``stop_hook_active`` is set, and when no model
    is configured (the queue is the one place that asks).
    """
    if isinstance(data, SubagentStopInput):
        return Skipped("a SubagentStop event: the main session's Stop covers it")
    if data.stop_hook_active:
        return Skipped("stop_hook_active: another Stop hook is already continuing the turn")
    _maybe_dream(store)
    _maybe_team_sync(store)
    from ...daemon.client import queue_extraction

    scheduled = queue_extraction(
        store.path,
        data.transcript_path,
        session_id=data.session_id,
        wait_for_text=data.last_assistant_message,
        state_dir=store.state_path,
    )
    return None if scheduled.by else Skipped(f"extraction is off: {scheduled.reason}")


def session_end(data: HookInput, *, store: MemoryDir) -> Skipped | None:
    """Queue a final extraction for turns whose Stop never fired (an interrupted reply).

    Cheap when the session's cursor is already at the end. The run is a detached process
    that outlives the session, so there is nothing to wait for within SessionEnd's budget.
    Skipped when no model is configured.
    """
    from ...daemon.client import queue_extraction

    scheduled = queue_extraction(
        store.path, data.transcript_path, session_id=data.session_id, state_dir=store.state_path
    )
    return None if scheduled.by else Skipped(f"extraction is off: {scheduled.reason}")


def _maybe_dream(store: MemoryDir) -> None:
    """Start consolidation in its own process when its gates are open (one ``stat`` while
    the day since the last run is not over); it never fails the hook."""
    from ...dream.triggers import maybe_start

    try:
        maybe_start(store.path, store.state_path)
    except (MemdirError, OSError) as exc:
        log_line("stop", f"consolidation check failed: {exc}")


def _maybe_team_sync(store: MemoryDir) -> None:
    """Without a daemon, hand team sync to a detached process (one ``stat`` when there is
    no team clone); a running `memory watch` syncs by itself."""
    if not (store.path / "team" / ".git").is_dir():
        return
    from ...daemon.files import DaemonFiles
    from ...fsio import try_lock

    held = try_lock(DaemonFiles.for_folder(store.path, state_dir=store.state_path).lock)
    if held is None:
        return  # the daemon holds the folder and syncs it
    held.release()
    from ...team.background import spawn_sync

    try:
        spawn_sync(store.path, store.state_path)
    except OSError as exc:
        log_line("stop", f"team sync could not start: {exc}")


def _dispatch(event: str, data: HookInput, store: MemoryDir) -> dict[str, Any] | Skipped | None:
    if event == "user-prompt-submit":
        if not isinstance(data, UserPromptSubmitInput):
            return Skipped(f"expected a UserPromptSubmit event, got {data.hook_event_name}")
        return user_prompt_submit(data, store=store)
    if event == "stop":
        if not isinstance(data, StopInput):
            return Skipped(f"expected a Stop event, got {data.hook_event_name}")
        return stop(data, store=store)
    if event == "session-end":
        return session_end(data, store=store)
    return Skipped(f"unknown hook event {event!r}; expected one of {', '.join(EVENTS)}")


def run_hook(
    event: str,
    stdin: str | bytes,
    *,
    memory_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Handle one Claude Code hook call; the JSON to print, or None to print nothing.

    Never raises: garbage input, a missing folder, a dead model or a bug all end as
    None and a line in ``hooks.log``.
    """
    if event == "user-prompt-submit":
        return run_prompt_hook(stdin, memory_dir=memory_dir, env=env)
    started = time.monotonic()
    try:
        data = parse_hook_input(stdin)
        store = memory_dir_for(data, explicit=memory_dir, env=env)
        outcome = _dispatch(event, data, store)
        if isinstance(outcome, Skipped):
            log_line(event, f"skipped: {outcome.reason}", env=env)
            return None
        return outcome
    except MemdirError as exc:
        log_line(event, f"failed: {exc}", env=env)
    except Exception as exc:
        log_error(event, exc, started, env=env)
    return None
