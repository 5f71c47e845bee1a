"""Claude Code's UserPromptSubmit hook on its light path: stdin in, the hook's JSON out.

Every prompt starts a new process for this, so its start-up is the hook's cost. Kept to
plain values: the hook input is read into a dict, the recall arrives as the
`RecallResult.to_json` dict (from the daemon's socket, or from recall in this process),
and the block is rendered from that dict. No records, no `typing`, and when a daemon
answers, neither the store nor the recaller. `hooks` builds its records on these.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from ...errors import MemdirError
from ...paths import claude_memory_dir, verification_root
from ...paths import state_dir as default_state_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

#: Claude Code keeps at most this many characters of a hook's additionalContext.
MAX_CONTEXT_CHARS = 10_000
LOG_NAME = "hooks.log"
#: hooks.log is rotated to hooks.log.1 past this size, so it never grows without bound.
LOG_MAX_BYTES = 512 * 1024
EVENT = "user-prompt-submit"


def _field(
    data: Mapping[str, Any], name: str, kind: type, *, required: bool, allow_empty: bool = False
) -> Any:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, kind) and (allow_empty or value != ""):
        return value
    if value is None:
        problem = "is missing from the hook input"
    elif value == "":
        problem = "is empty in the hook input"
    else:
        problem = f"is a JSON {type(value).__name__} in the hook input"
    expected = f"a {kind.__name__}" if allow_empty or kind is not str else "a non-empty string"
    raise MemdirError(f"{problem}; expected {expected}", field=name)


def hook_fields(text: str | bytes) -> dict[str, Any]:
    """The fields of a hook's stdin that memdir uses, checked, as plain values.

    Every event: ``session_id``, ``transcript_path``, ``cwd``, ``hook_event_name``
    (the paths as `Path`); ``UserPromptSubmit`` adds ``prompt``; ``Stop`` and
    ``SubagentStop`` add ``stop_hook_active`` and ``last_assistant_message``,
    ``SubagentStop`` also ``agent_id`` and ``agent_transcript_path``. Other keys are
    ignored.

    Raises:
        MemdirError: the input is not a JSON object, or a field the event needs is
            missing or has the wrong type (the error's `field` names it).
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MemdirError(f"hook input is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MemdirError(f"hook input must be a JSON object, not {type(data).__name__}")
    fields: dict[str, Any] = {
        "session_id": _field(data, "session_id", str, required=True),
        "transcript_path": Path(_field(data, "transcript_path", str, required=True)),
        "cwd": Path(_field(data, "cwd", str, required=True)),
        "hook_event_name": _field(data, "hook_event_name", str, required=True),
    }
    event = fields["hook_event_name"]
    if event == "UserPromptSubmit":
        # An empty prompt is a real (if odd) submission, so only the type is checked.
        fields["prompt"] = _field(data, "prompt", str, required=True, allow_empty=True)
    elif event in ("Stop", "SubagentStop"):
        # Older releases may leave it out; absent means no Stop hook has blocked yet.
        active = _field(data, "stop_hook_active", bool, required=False)
        fields["stop_hook_active"] = active is True
        fields["last_assistant_message"] = _field(
            data, "last_assistant_message", str, required=False
        )
        if event == "SubagentStop":
            fields["agent_id"] = _field(data, "agent_id", str, required=False)
            agent_path = _field(data, "agent_transcript_path", str, required=False)
            fields["agent_transcript_path"] = Path(agent_path) if agent_path else None
    return fields


def is_task_notification(prompt: str) -> bool:
    """True if `prompt` is a ``<task-notification>`` Claude Code sends on a task's behalf."""
    return prompt.lstrip().startswith("<task-notification>")


def fit_context(
    rendered: str, names: Sequence[str], *, limit: int = MAX_CONTEXT_CHARS
) -> tuple[str, int, int]:
    """Cut `rendered` (a recall block) to `limit` characters at a memory boundary:
    (text, memories kept, memories in `rendered`).

    `names` are the memories' names in rendered order: each memory starts with a
    ``## <name> (`` line. Whole memories are dropped from the end, with a note saying how
    many; if even the first does not fit it is cut at a line boundary.
    """
    if len(rendered) <= limit:
        return rendered, len(names), len(names)
    starts: list[int] = []
    position = 0
    for name in names:
        found = rendered.find(f"\n\n## {name} (", position)
        if found < 0:
            break
        starts.append(found)
        position = found + 1
    for kept in range(len(starts) - 1, 0, -1):
        dropped = len(names) - kept
        note = (
            f"\n\n({dropped} more recalled {'memory was' if dropped == 1 else 'memories were'} "
            "left out to stay within the hook's size limit.)\n"
        )
        text = rendered[: starts[kept]] + note
        if len(text) <= limit:
            return text, kept, len(names)
    marker = "\n[cut to fit the hook's size limit; the file path above has the whole memory]\n"
    head = rendered[: limit - len(marker)]
    head = head[: head.rfind("\n")] if "\n" in head else head
    return head + marker, 1 if names else 0, len(names)


def hook_output(context: str) -> dict[str, Any]:
    """The JSON a ``UserPromptSubmit`` hook prints to add `context`."""
    return {
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": context,
        }
    }


def prompt_context(
    prompt: str,
    *,
    session_id: str,
    cwd: Path,
    memory_dir: Path,
    state_dir: Path | None = None,
    use_daemon: bool = True,
    offline: bool = False,
) -> dict[str, Any] | str | None:
    """Recall for the prompt: the hook output, None when nothing was recalled, or the
    reason the hook had nothing to do (a task notification, no memory folder yet).

    `memory_dir` is absolute. Only what fits in Claude Code's limit is marked as seen
    by the session.
    """
    if is_task_notification(prompt):
        return "a <task-notification> prompt: nothing to recall for"
    # One-word prompts are left to recall itself, which answers them with nothing.
    if not memory_dir.is_dir():
        return f"{memory_dir}: the memory folder does not exist yet"
    from ...daemon.client import recall_json
    from ...recall.block import render_block

    state = state_dir if state_dir is not None else default_state_dir()
    result = recall_json(
        memory_dir,
        prompt,
        state_dir=state,
        session_id=session_id,
        offline=offline,
        project_root=verification_root(cwd),
        mark_surfaced=False,  # marked below, for what fits in the context only
        use_daemon=use_daemon,
    )
    memories = result["memories"]
    rendered = render_block(result)
    if not memories or not rendered.strip():
        return None
    text, kept, _total = fit_context(rendered, [m["name"] for m in memories])
    from ...recall.seen import mark_seen

    mark_seen(
        state,
        session_id,
        [(m["path"], len(m["content"].encode("utf-8"))) for m in memories[:kept]],
    )
    return hook_output(text)


def hook_memory_dir(cwd: Path, explicit: Path | None, env: Mapping[str, str] | None) -> Path:
    """The memory folder for a hook, absolute: `explicit` (``--dir``), else Claude Code's
    for the session's ``cwd``.

    Why not the process's directory: the hook input's ``cwd`` is the session's, which is
    what Claude Code keys its memory folder on, even if the hook was started elsewhere.

    Raises:
        ConfigurationError: the settings name a relative ``autoMemoryDirectory``.
    """
    path = explicit if explicit is not None else claude_memory_dir(cwd, env)
    return Path(os.path.abspath(path.expanduser()))


def run_prompt_hook(
    stdin: str | bytes, *, memory_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """Handle one ``UserPromptSubmit`` call; the JSON to print, or None to print nothing.

    Never raises: garbage input, a missing folder or a bug all end as None and a line
    in ``hooks.log``.
    """
    started = time.monotonic()
    try:
        data = hook_fields(stdin)
        folder = hook_memory_dir(data["cwd"], memory_dir, env)
        if data["hook_event_name"] != "UserPromptSubmit":
            outcome: dict[str, Any] | str | None = (
                f"expected a UserPromptSubmit event, got {data['hook_event_name']}"
            )
        else:
            outcome = prompt_context(
                data["prompt"], session_id=data["session_id"], cwd=data["cwd"], memory_dir=folder
            )
        if isinstance(outcome, str):
            log_line(EVENT, f"skipped: {outcome}", env=env)
            return None
        return outcome
    except MemdirError as exc:
        log_line(EVENT, f"failed: {exc}", env=env)
    except Exception as exc:
        log_error(EVENT, exc, started, env=env)
    return None


def log_error(
    event: str, exc: BaseException, started: float, *, env: Mapping[str, str] | None = None
) -> None:
    """Log an unexpected failure with the end of its traceback.

    Trigger: anything unexpected, bugs included. Why: the hook runs inside the user's
    prompt, and a traceback there helps no one. Outcome: no output, the traceback in
    hooks.log where `memory` users and bug reports can find it.
    """
    import traceback

    where = "".join(traceback.format_exception(exc)[-3:])
    log_line(event, f"error after {time.monotonic() - started:.3f}s: {where}", env=env)


def log_line(event: str, message: str, *, env: Mapping[str, str] | None = None) -> None:
    """Append one line to ``<state>/hooks.log`` (best effort: logging never fails a hook)."""
    with contextlib.suppress(Exception):
        path = default_state_dir(env) / LOG_NAME
        with contextlib.suppress(OSError):
            if path.stat().st_size > LOG_MAX_BYTES:
                os.replace(path, path.with_name(LOG_NAME + ".1"))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        flat = " ".join(message.split())
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} pid={os.getpid()} {event}: {flat}\n")
