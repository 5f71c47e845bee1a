"""The memory-tool conversation loop shared by extraction and consolidation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from memdir.errors import ModelError
from memdir.extract.memory_tool import MemoryFolderTool
from memdir.extract.toolloop import MEMORY_TOOL, MEMORY_TOOL_BETA, converse
from memdir.store.folder import MemoryDir


@dataclass(frozen=True)
class Limits:
    max_turns: int = 5
    budget_s: float = 60.0
    call_budget_s: float = 30.0


class Script:
    """A model that answers with the given replies, in order, and records each request."""

    def __init__(self, *replies: list[Any]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def create_message(self, *, budget_s: float, **params: Any) -> Any:
        self.requests.append({"budget_s": budget_s, **params})
        return SimpleNamespace(content=self.replies.pop(0))


def text(words: str) -> Any:
    return SimpleNamespace(type="text", text=words)


def call(call_id: str, name: str = "memory", **tool_input: Any) -> Any:
    return SimpleNamespace(type="tool_use", id=call_id, name=name, input=tool_input)


@pytest.fixture
def tool(memory_dir: Path) -> MemoryFolderTool:
    return MemoryFolderTool(MemoryDir(memory_dir))


def test_tool_calls_are_run_and_answered_until_the_model_stops(tool: MemoryFolderTool) -> None:
    create = call(
        "c1",
        command="create",
        path="/memories/a.md",
        file_text=("---\nname: A\ndescription: the a note\ntype: user\n---\nbody\n"),
    )
    model = Script([text("saving"), create], [call("c2", name="search")], [text("done")])
    replies: list[Any] = []
    converse(
        model,
        tool,
        "the prompt",
        system="sys",
        max_tokens=99,
        budget=Limits(),
        clock=lambda: 0.0,
        replies=replies,
        task="the test",
    )
    assert len(replies) == 3
    first, second, third = model.requests
    assert first["messages"] == [{"role": "user", "content": "the prompt"}]
    assert first["system"] == "sys" and first["max_tokens"] == 99 and first["budget_s"] == 30.0
    assert first["tools"] == [MEMORY_TOOL]
    assert first["extra_headers"] == {"anthropic-beta": MEMORY_TOOL_BETA}
    assert second["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "saving"},
            {"type": "tool_use", "id": "c1", "name": "memory", "input": create.input},
        ],
    }
    (result,) = second["messages"][2]["content"]
    assert result["tool_use_id"] == "c1" and result["is_error"] is False
    assert (tool.store.path / "a.md").exists()
    (unknown,) = third["messages"][4]["content"]
    assert unknown["is_error"] is True and "no tool 'search'" in unknown["content"]


def test_no_more_requests_than_max_turns(tool: MemoryFolderTool) -> None:
    view = call("v", command="view", path="/memories")
    model = Script([view], [view], [view])
    replies: list[Any] = []
    converse(
        model,
        tool,
        "p",
        system="s",
        max_tokens=1,
        budget=Limits(max_turns=2),
        clock=lambda: 0.0,
        replies=replies,
        task="t",
    )
    assert len(replies) == 2 and len(model.replies) == 1


def test_each_turn_wraps_the_tool_calls_of_one_turn(tool: MemoryFolderTool) -> None:
    events: list[str] = []

    @contextlib.contextmanager
    def turn() -> Iterator[None]:
        events.append("begin")
        yield
        events.append("end")

    view = call("v", command="view", path="/memories")
    model = Script([view, view], [view], [text("done")])
    converse(
        model,
        tool,
        "p",
        system="s",
        max_tokens=1,
        budget=Limits(),
        clock=lambda: 0.0,
        replies=[],
        task="t",
        each_turn=turn,
    )
    assert events == ["begin", "end", "begin", "end"]


def test_the_budget_running_out_is_a_timeout_naming_the_task(tool: MemoryFolderTool) -> None:
    times = iter([0.0, 0.0, 59.99])
    view = call("v", command="view", path="/memories")
    model = Script([view], [view])
    replies: list[Any] = []
    with pytest.raises(ModelError) as caught:
        converse(
            model,
            tool,
            "p",
            system="s",
            max_tokens=1,
            budget=Limits(budget_s=60.0),
            clock=lambda: next(times),
            replies=replies,
            task="the chore",
            retryable=True,
        )
    assert caught.value.kind == "timeout" and caught.value.retryable is True
    assert "the chore ran out of its 60s budget" in caught.value.message
    assert len(replies) == 1  # the count survives the failure
    assert model.requests[0]["budget_s"] == 30.0
