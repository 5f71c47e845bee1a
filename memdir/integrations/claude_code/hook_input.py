"""Claude Code hook input: the JSON object each hook command receives on stdin.

Every event carries ``session_id``, ``transcript_path``, ``cwd`` and ``hook_event_name``;
``UserPromptSubmit`` adds ``prompt``, ``Stop`` and ``SubagentStop`` add ``stop_hook_active``
and ``last_assistant_message``. Newer releases add keys (``prompt_id``, ``effort``,
``background_tasks`` ...): whatever is not used here is ignored. The fields are read
by `prompt_hook.hook_fields` (the UserPromptSubmit hook uses them as they are); these
are its records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .prompt_hook import hook_fields, is_task_notification


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


def parse_hook_input(text: str | bytes) -> HookInput:
    """Parse a hook's stdin into the record for its event (`HookInput` for other events).

    Raises:
        MemdirError: the input is not a JSON object, or a field the event needs is
            missing or has the wrong type (the error's `field` names it).
    """
    fields = hook_fields(text)
    event = fields["hook_event_name"]
    if event == "UserPromptSubmit":
        return UserPromptSubmitInput(**fields)
    if event == "Stop":
        return StopInput(**fields)
    if event == "SubagentStop":
        return SubagentStopInput(**fields)
    return HookInput(**fields)
