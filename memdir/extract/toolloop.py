"""The memory-tool conversation: ask the model, run its tool calls, answer, ask again.

The SDK's tool runner would bypass our retry and breaker boundary, so this is the same
loop written small, shared by extraction and consolidation (`memdir.dream.model_pass`):
call, run the tool calls, send their results, call again, until the model stops calling
tools or the turns or the time budget run out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ModelError
from ..model.boundary import MIN_ATTEMPT_S, MessageCreator
from ..progress import Progress, no_progress

if TYPE_CHECKING:
    from .memory_tool import MemoryFolderTool

#: The tool as the API knows it; `BetaAbstractMemoryTool.to_dict()` gives the same.
MEMORY_TOOL: dict[str, str] = {"type": "memory_20250818", "name": "memory"}
#: The API documentation still lists the memory tool under this beta. The installed SDK
#: already types the tool as generally available; sending a known beta is harmless.
MEMORY_TOOL_BETA = "context-management-2025-06-27"
#: The steps `converse` reports to a `Progress`.
TURNS = "model turns"
WRITTEN = "memories written"


class Budget(Protocol):
    """How long a conversation may go: requests, seconds in all, seconds per request."""

    @property
    def max_turns(self) -> int: ...

    @property
    def budget_s(self) -> float: ...

    @property
    def call_budget_s(self) -> float: ...


def converse(
    client: MessageCreator,
    tool: MemoryFolderTool,
    prompt: str,
    *,
    system: str,
    max_tokens: int,
    budget: Budget,
    clock: Callable[[], float],
    replies: list[Any],
    task: str,
    retryable: bool = False,
    each_turn: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
    progress: Progress = no_progress,
    report_writes: bool = False,
) -> None:
    """Converse over `prompt` with `tool` until the model stops calling tools or
    `budget.max_turns` requests have been made; each reply is appended to `replies` (so a
    failure keeps the count). The tool calls of one turn run inside `each_turn()`.

    `progress` hears ``(TURNS, made, None)`` around each call and, with `report_writes`,
    ``(WRITTEN, count, None)`` after each write.

    Raises:
        ModelError: a call failed, or the budget ran out (``kind="timeout"``, the message
            naming `task`, `retryable` as given).
    """
    deadline = clock() + budget.budget_s
    history: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    while len(replies) < budget.max_turns:
        remaining = deadline - clock()
        if remaining < MIN_ATTEMPT_S:
            raise ModelError(
                f"{task} ran out of its {budget.budget_s:g}s budget",
                kind="timeout",
                retryable=retryable,
            )
        progress(TURNS, len(replies), None)
        reply = client.create_message(
            budget_s=min(budget.call_budget_s, remaining),
            max_tokens=max_tokens,
            system=system,
            messages=list(history),
            tools=[MEMORY_TOOL],
            extra_headers={"anthropic-beta": MEMORY_TOOL_BETA},
        )
        replies.append(reply)
        progress(TURNS, len(replies), None)
        calls = [block for block in reply.content if block.type == "tool_use"]
        if not calls:
            break
        history.append({"role": "assistant", "content": [_param(b) for b in reply.content]})
        results = []
        with each_turn():
            for call in calls:
                if call.name == MEMORY_TOOL["name"]:
                    written = len(tool.changes)
                    outcome = tool.run(call.input)
                    text, is_error = outcome.text, outcome.is_error
                    if report_writes and len(tool.changes) != written:
                        progress(WRITTEN, len(tool.changes), None)
                else:
                    text, is_error = f"Error: there is no tool {call.name!r}; use memory", True
                results.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": call.id,
                        "content": text,
                        "is_error": is_error,
                    }
                )
        history.append({"role": "user", "content": results})


def _param(block: Any) -> dict[str, Any]:
    """A response block as a request block (SDK objects carry fields the API refuses)."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    dumped: dict[str, Any] = block.model_dump(exclude_none=True)
    return dumped
