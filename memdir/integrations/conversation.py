"""Reading an agent's message list for the library hook: the user's prompt, recent tools.

An agent's list holds more than what the user wrote: tool results, reminders injected by
harnesses (recalled memories among them) and task notifications. Recall must run on the
user's own words, and recalled memories must be recognisable when they come back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..extract.transcript import Message, TextBlock, from_messages

#: Tools named in this many trailing messages count as "recently used" for the selector.
RECENT_TOOL_MESSAGES = 20

# Text that tools or harnesses inject into user messages: never the user's own words.
_REMINDER = re.compile(r"<system-reminder>.*?(?:</system-reminder>|\Z)", re.DOTALL)


def memory_block(rendered: str) -> str:
    """Wrap recalled memories for a user message.

    Why a ``<system-reminder>`` tag: it tells the model the text was added by the harness,
    and the extractor drops such blocks, so recalled memories never come back as "new"
    evidence.
    """
    return f"<system-reminder>\n{rendered.rstrip()}\n</system-reminder>"


@dataclass(frozen=True, slots=True)
class UserPrompt:
    """The newest message the user actually wrote, and where it sits in the list."""

    position: int
    text: str


def _user_text(message: Message) -> str:
    text = "\n".join(b.text for b in message.blocks if isinstance(b, TextBlock))
    text = _REMINDER.sub("", text).strip()
    return "" if text.startswith("<task-notification>") else text


def find_user_prompt(messages: Sequence[Mapping[str, Any] | Any]) -> UserPrompt | None:
    """The newest user message with text of its own.

    Messages carrying only tool results, injected reminders (such as recalled memories)
    or task notifications are passed over: the prompt being worked on is further back.
    """
    parsed = from_messages(messages)
    for position in range(len(parsed) - 1, -1, -1):
        message = parsed[position]
        if message.role == "user":
            text = _user_text(message)
            if text:
                return UserPrompt(position, text)
    return None


def recent_tools(messages: Sequence[Message]) -> tuple[str, ...]:
    """Names of the tools used in the last `RECENT_TOOL_MESSAGES` messages, oldest first."""
    names: list[str] = []
    for message in messages[-RECENT_TOOL_MESSAGES:]:
        for use in message.tool_uses:
            if use.name and use.name not in names:
                names.append(use.name)
    return tuple(names)


def plain_json(obj: object) -> object:
    """JSON for SDK objects (pydantic models) found in an agent's message list."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return str(obj)
