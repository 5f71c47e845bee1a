"""Claude Code hook input: the JSON object each hook command receives on stdin.

Every event carries ``session_id``, ``transcript_path``, ``cwd`` and ``hook_event_name``;
``UserPromptSubmit`` adds ``prompt``, ``Stop`` and ``SubagentStop`` add ``stop_hook_active``
and ``last_assistant_message``. Newer releases add keys (``prompt_id``, ``effort``,
``background_tasks`` ...): whatever is not used here is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import MemdirError


@dataclass(frozen=True, slots=True)
class HookInput:
    """The fields every hook event carries."""

    session_id: str
    transcript_path: Path
    cwd: Path
    hook_event_name: str


@dataclass(frozen=True, slots=True)
class UserPromptSubmitInput(HookInput):
    """A prompt the user is about to send."""

    prompt: str

    @property
    def is_task_notification(self) -> bool:
        """True if the "prompt" is Claude Code reporting a background task, not the user."""
        return is_task_notification(self.prompt)


@dataclass(frozen=True, slots=True)
class StopInput(HookInput):
    """The agent finished a turn (``Stop``) or a subagent finished (``SubagentStop``)."""

    stop_hook_active: bool
    # The reply's text; the transcript file may not hold it yet when the hook runs.
    last_assistant_message: str | None


@dataclass(frozen=True, slots=True)
class SubagentStopInput(StopInput):
    """A subagent finished; its own transcript is a separate file."""

    agent_id: str | None
    agent_transcript_path: Path | None


def is_task_notification(prompt: str) -> bool:
    """True if `prompt` is a ``<task-notification>`` Claude Code sends on a task's behalf."""
    return prompt.lstrip().startswith("<task-notification>")


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


def _optional_path(data: Mapping[str, Any], name: str) -> Path | None:
    value = _field(data, name, str, required=False)
    return Path(value) if value else None


def parse_hook_input(text: str | bytes) -> HookInput:
    """Parse a hook's stdin into the record for its event (`HookInput` for other events).

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
    common: dict[str, Any] = {
        "session_id": _field(data, "session_id", str, required=True),
        "transcript_path": Path(_field(data, "transcript_path", str, required=True)),
        "cwd": Path(_field(data, "cwd", str, required=True)),
        "hook_event_name": _field(data, "hook_event_name", str, required=True),
    }
    event = common["hook_event_name"]
    if event == "UserPromptSubmit":
        # An empty prompt is a real (if odd) submission, so only the type is checked.
        prompt = _field(data, "prompt", str, required=True, allow_empty=True)
        return UserPromptSubmitInput(**common, prompt=prompt)
    if event in ("Stop", "SubagentStop"):
        stop: dict[str, Any] = {
            # Older releases may leave it out; absent means no Stop hook has blocked yet.
            "stop_hook_active": _field(data, "stop_hook_active", bool, required=False) is True,
            "last_assistant_message": _field(data, "last_assistant_message", str, required=False),
        }
        if event == "Stop":
            return StopInput(**common, **stop)
        return SubagentStopInput(
            **common,
            **stop,
            agent_id=_field(data, "agent_id", str, required=False),
            agent_transcript_path=_optional_path(data, "agent_transcript_path"),
        )
    return HookInput(**common)
