"""Hook stdin parsing, checked against what real Claude Code releases sent."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from memdir.errors import MemdirError
from memdir.integrations.claude_code.hook_input import (
    HookInput,
    StopInput,
    SubagentStopInput,
    UserPromptSubmitInput,
    is_task_notification,
    parse_hook_input,
)
from tests.samples import scenarios

HOOK_EVENTS = [
    pytest.param(version, name, event, payload, id=f"{version}-{name}-{event}")
    for version, name, scenario in scenarios()
    for event, payload in scenario["hook_stdin"].items()
]

STOP = {
    "session_id": "s-1",
    "transcript_path": "/home/u/.claude/projects/-repo/s-1.jsonl",
    "cwd": "/repo",
    "hook_event_name": "Stop",
    "stop_hook_active": False,
    "last_assistant_message": "Done.",
}


def test_every_captured_event_is_present() -> None:
    events = {p.values[2] for p in HOOK_EVENTS}
    assert {"UserPromptSubmit", "Stop", "SubagentStop", "SessionStart", "PreCompact"} <= events
    assert len(HOOK_EVENTS) >= 50


@pytest.mark.parametrize(("version", "name", "event", "payload"), HOOK_EVENTS)
def test_captured_hook_stdin_parses(
    version: str, name: str, event: str, payload: dict[str, Any]
) -> None:
    parsed = parse_hook_input(json.dumps(payload))

    assert parsed.hook_event_name == event
    assert parsed.session_id == payload["session_id"]
    assert parsed.transcript_path == Path(payload["transcript_path"])
    assert parsed.cwd == Path(payload["cwd"])
    expected_type = {
        "UserPromptSubmit": UserPromptSubmitInput,
        "Stop": StopInput,
        "SubagentStop": SubagentStopInput,
    }.get(event, HookInput)
    assert type(parsed) is expected_type
    if isinstance(parsed, UserPromptSubmitInput):
        assert parsed.prompt == payload["prompt"]
    if isinstance(parsed, StopInput):
        assert parsed.stop_hook_active is payload["stop_hook_active"]
        assert parsed.last_assistant_message == payload["last_assistant_message"]
    if isinstance(parsed, SubagentStopInput):
        assert parsed.agent_id == payload["agent_id"]
        assert parsed.agent_transcript_path == Path(payload["agent_transcript_path"])


def test_captured_prompt_matches_the_scenario_prompt() -> None:
    checked = 0
    for _, _, scenario in scenarios():
        if "UserPromptSubmit" not in scenario["hook_stdin"]:
            continue  # F runs /compact, a local command: no prompt reaches the hook
        checked += 1
        parsed = parse_hook_input(json.dumps(scenario["hook_stdin"]["UserPromptSubmit"]))
        assert isinstance(parsed, UserPromptSubmitInput)
        assert parsed.prompt == scenario["prompt"]
        assert not parsed.is_task_notification
    assert checked == 12


def test_unknown_keys_are_ignored() -> None:
    payload = dict(STOP, effort={"level": "high"}, background_tasks=[{"id": "x"}], new_key=1)
    assert parse_hook_input(json.dumps(payload)) == parse_hook_input(json.dumps(STOP))


def test_bytes_input_is_accepted() -> None:
    parsed = parse_hook_input(json.dumps(STOP).encode("utf-8"))
    assert isinstance(parsed, StopInput)
    assert parsed.last_assistant_message == "Done."


def test_stop_without_message_or_flag() -> None:
    payload = {k: v for k, v in STOP.items() if k != "stop_hook_active"}
    payload["last_assistant_message"] = None
    parsed = parse_hook_input(json.dumps(payload))
    assert isinstance(parsed, StopInput)
    assert parsed.stop_hook_active is False
    assert parsed.last_assistant_message is None


def test_stop_hook_active_true_is_kept() -> None:
    parsed = parse_hook_input(json.dumps(dict(STOP, stop_hook_active=True)))
    assert isinstance(parsed, StopInput)
    assert parsed.stop_hook_active is True


def test_records_are_frozen() -> None:
    parsed = parse_hook_input(json.dumps(STOP))
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.session_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("missing", ["session_id", "transcript_path", "cwd", "hook_event_name"])
def test_missing_common_field_names_the_field(missing: str) -> None:
    payload = {k: v for k, v in STOP.items() if k != missing}
    with pytest.raises(MemdirError) as caught:
        parse_hook_input(json.dumps(payload))
    assert caught.value.field == missing
    assert f"field '{missing}'" in str(caught.value)
    assert "missing" in str(caught.value)
    assert caught.value.exit_code == 1


def test_empty_session_id_is_refused() -> None:
    with pytest.raises(MemdirError, match="empty") as caught:
        parse_hook_input(json.dumps(dict(STOP, session_id="")))
    assert caught.value.field == "session_id"


@pytest.mark.parametrize(
    ("key", "value"),
    [("stop_hook_active", "yes"), ("last_assistant_message", ["a"]), ("cwd", 3)],
)
def test_wrong_type_names_the_field(key: str, value: object) -> None:
    with pytest.raises(MemdirError) as caught:
        parse_hook_input(json.dumps(dict(STOP, **{key: value})))
    assert caught.value.field == key


def test_user_prompt_submit_needs_a_prompt_but_it_may_be_empty() -> None:
    base = dict(STOP, hook_event_name="UserPromptSubmit")
    del base["stop_hook_active"], base["last_assistant_message"]
    with pytest.raises(MemdirError) as caught:
        parse_hook_input(json.dumps(base))
    assert caught.value.field == "prompt"
    parsed = parse_hook_input(json.dumps(dict(base, prompt="")))
    assert isinstance(parsed, UserPromptSubmitInput)
    assert parsed.prompt == ""


@pytest.mark.parametrize("text", ["", "{not json", '{"session_id": "s"', "[1, 2]", '"Stop"'])
def test_not_a_json_object_is_refused(text: str) -> None:
    with pytest.raises(MemdirError, match="hook input"):
        parse_hook_input(text)


def test_is_task_notification() -> None:
    note = "\n  <task-notification>\n<task-id>a1</task-id>\n</task-notification>"
    assert is_task_notification(note)
    assert not is_task_notification("what does <task-notification> mean?")
    assert not is_task_notification("")
    parsed = parse_hook_input(
        json.dumps(
            {
                "session_id": "s",
                "transcript_path": "/t.jsonl",
                "cwd": "/",
                "hook_event_name": "UserPromptSubmit",
                "prompt": note,
            }
        )
    )
    assert isinstance(parsed, UserPromptSubmitInput)
    assert parsed.is_task_notification
