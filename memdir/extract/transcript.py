"""Conversation transcripts, normalised for the extractor and the Claude Code hooks.

Two sources become one list of `Message` records:

- `from_messages`: Anthropic Messages API form (``role`` plus ``content`` as a string or a
  list of blocks, as dicts or SDK objects), used by the library hook;
- `read_claude_code_transcript`: Claude Code's session JSONL, used by the hooks and the daemon.

What the extractor may read of these messages, and whether the agent already wrote to the
memory folder, is `memdir.extract.evidence`. Tool results are kept here only as placeholders'
anchors: their content never reaches a prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidInputError, MemdirError

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Plain text written by the user or the assistant."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolUseBlock:
    """An assistant's tool call."""

    id: str
    name: str
    input: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class ToolResultBlock:
    """A tool's answer. `content` is kept for internal checks and is never rendered."""

    tool_use_id: str
    is_error: bool = False
    content: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class OtherBlock:
    """Anything else (thinking, images, server tools): kept only by its type."""

    type: str


Block = TextBlock | ToolUseBlock | ToolResultBlock | OtherBlock


@dataclass(frozen=True, slots=True)
class Message:
    """One user or assistant message with a stable id (the extractor's cursor)."""

    id: str
    role: Role
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        """The message's text blocks joined by newlines ('' when there are none)."""
        return "\n".join(b.text for b in self.blocks if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> tuple[ToolUseBlock, ...]:
        """The tool calls in this message."""
        return tuple(b for b in self.blocks if isinstance(b, ToolUseBlock))


# --- parsing -------------------------------------------------------------------------------


def _as_mapping(obj: object) -> Mapping[str, Any] | None:
    """A dict view of a dict or an SDK (pydantic) object; None for anything else."""
    if isinstance(obj, Mapping):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        data = dump()
        if isinstance(data, Mapping):
            return data
    return None


def _result_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [_as_mapping(part) for part in content]
        return "\n".join(
            p["text"] for p in parts if p is not None and isinstance(p.get("text"), str)
        )
    return ""


def _parse_block(raw: object) -> Block | None:
    data = _as_mapping(raw)
    if data is None:
        return TextBlock(raw) if isinstance(raw, str) else None
    kind = data.get("type")
    if kind == "text":
        text = data.get("text")
        return TextBlock(text) if isinstance(text, str) else None
    if kind == "tool_use":
        tool_input = data.get("input")
        return ToolUseBlock(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or ""),
            input=dict(tool_input) if isinstance(tool_input, Mapping) else {},
        )
    if kind == "tool_result":
        return ToolResultBlock(
            tool_use_id=str(data.get("tool_use_id") or ""),
            is_error=data.get("is_error") is True,
            content=_result_text(data.get("content")),
        )
    return OtherBlock(str(kind))


def _parse_content(content: object) -> tuple[Block, ...]:
    if isinstance(content, str):
        return (TextBlock(content),)
    if isinstance(content, list | tuple):
        return tuple(b for b in map(_parse_block, content) if b is not None)
    return ()


def _json_default(obj: object) -> object:
    data = _as_mapping(obj)  # SDK objects hash by their fields, like the dicts they mirror
    return dict(data) if data is not None else str(obj)


def _derived_id(position: int, role: str, content: object) -> str:
    # Trigger: plain API message lists carry no ids. Why: the cursor must survive a restart,
    # so the id cannot depend on the process (no hash()). Outcome: position plus a content
    # digest; if earlier messages are dropped the ids shift and the cursor is simply not found.
    payload = json.dumps([role, content], sort_keys=True, default=_json_default)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
    return f"{position}-{digest}"


def from_messages(messages: Sequence[Mapping[str, Any] | Any]) -> list[Message]:
    """Normalise Anthropic Messages API messages (dicts or SDK objects).

    A message's own ``id`` or ``uuid`` is its id; otherwise the id is derived from its
    position and a hash of its content, so the same list gives the same ids in any process.
    Messages whose role is neither user nor assistant are skipped.
    """
    result: list[Message] = []
    for position, raw in enumerate(messages):
        data = _as_mapping(raw)
        if data is None:
            continue
        role = data.get("role")
        if role not in ("user", "assistant"):
            continue
        content = data.get("content")
        own_id = data.get("id") or data.get("uuid")
        message_id = own_id if isinstance(own_id, str) else _derived_id(position, role, content)
        result.append(Message(id=message_id, role=role, blocks=_parse_content(content)))
    return result


def _message_from_line(line: str, line_number: int, *, include_sidechain: bool) -> Message | None:
    try:
        event = json.loads(line)
    except ValueError:
        # A half-written last line (Claude Code appends in batches) or a corrupt one.
        return None
    if not isinstance(event, dict) or event.get("type") not in ("user", "assistant"):
        return None
    if event.get("isSidechain") is True and not include_sidechain:
        return None
    # Meta lines are Claude Code's own injections; a compact summary restates (and may
    # paraphrase tool output from) messages already in the file, so neither is evidence.
    if event.get("isMeta") is True or event.get("isCompactSummary") is True:
        return None
    message = event.get("message")
    if not isinstance(message, dict):
        return None
    role = message.get("role", event["type"])
    if role not in ("user", "assistant"):
        return None
    content = message.get("content")
    uuid = event.get("uuid")
    message_id = uuid if isinstance(uuid, str) and uuid else _derived_id(line_number, role, content)
    return Message(id=message_id, role=role, blocks=_parse_content(content))


def _read_text(path: Path | str) -> str:
    try:
        return Path(path).read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""  # Claude Code creates the file only after the first turn
    except OSError as exc:
        raise MemdirError(f"cannot read the transcript: {exc.strerror}", path=path) from exc


def _parse_jsonl(text: str, *, include_sidechain: bool) -> list[Message]:
    # Split on "\n" only: str.splitlines() also breaks at U+2028 and friends, which JSON
    # writers leave unescaped inside strings.
    messages = (
        _message_from_line(line, number, include_sidechain=include_sidechain)
        for number, line in enumerate(text.split("\n"))
        if line.strip()
    )
    return [m for m in messages if m is not None]


def read_claude_code_transcript(
    path: Path | str, *, include_sidechain: bool = False
) -> list[Message]:
    """Read a Claude Code session transcript (JSONL, one event a line).

    Only ``user`` and ``assistant`` lines count; other line types, meta lines, compact
    summaries, malformed or half-written lines are skipped, and so are subagent
    (``isSidechain``) lines unless `include_sidechain` is set (a subagent's own transcript
    holds nothing else). Claude Code writes one API message as several lines sharing
    ``message.id``: each line stays its own `Message`, named by its ``uuid``. A missing file
    gives an empty list.

    Raises:
        MemdirError: the file exists but cannot be read.
    """
    return _parse_jsonl(_read_text(path), include_sidechain=include_sidechain)


def load_transcript(path: Path | str) -> list[Message]:
    """Read a transcript file in either form.

    A JSON array of API messages (or an object with a ``messages`` array) goes through
    `from_messages`; anything else is read as Claude Code JSONL.

    Raises:
        MemdirError: the file exists but cannot be read.
    """
    text = _read_text(path)
    if text.lstrip().startswith(("[", "{")):
        try:
            document = json.loads(text)
        except ValueError:
            document = None  # several JSON lines, or a half-written file: JSONL below
        if isinstance(document, dict) and isinstance(document.get("messages"), list):
            document = document["messages"]
        if isinstance(document, list):
            return from_messages(document)
    return _parse_jsonl(text, include_sidechain=False)


def read_transcript_strict(path: Path) -> list[Message]:
    """`load_transcript` for a file a person named: a wrong file is an error, not "nothing".

    Raises:
        InvalidInputError: the file is missing, not a file, unreadable, empty, or holds
            neither Claude Code JSONL nor a JSON list of messages (naming the first bad line).
    """
    if not path.exists():
        raise InvalidInputError("no such file", path=path)
    if not path.is_file():
        raise InvalidInputError("not a file", path=path)
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InvalidInputError(f"cannot read it ({exc.strerror})", path=path) from exc
    if not text.strip():
        raise InvalidInputError("the file is empty: there is no conversation in it", path=path)
    bad = _first_non_json_line(text)
    if bad is not None:
        raise InvalidInputError(
            f"not a transcript: line {bad} is not JSON (expected Claude Code's JSONL, "
            "one JSON object a line, or a JSON list of messages)",
            path=path,
        )
    return load_transcript(path)


def _first_non_json_line(text: str) -> int | None:
    """The 1-based number of the first line that is not a JSON object, when no line is one.

    One good line is enough: Claude Code may be half-way through writing the last one.
    """
    try:
        if isinstance(json.loads(text), list | dict):
            return None
    except ValueError:
        pass
    first_bad = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            if isinstance(json.loads(line), dict):
                return None
        except ValueError:
            pass
        first_bad = first_bad or number
    return first_bad


# --- queries -------------------------------------------------------------------------------


def messages_after(messages: Sequence[Message], cursor_id: str | None) -> list[Message]:
    """The messages after the one named `cursor_id`.

    All messages are new when the cursor is None or is not in the list: after a compaction
    or a rewrite the old position is gone, and re-reading is safer than skipping everything.
    """
    if cursor_id is not None:
        for index in range(len(messages) - 1, -1, -1):
            if messages[index].id == cursor_id:
                return list(messages[index + 1 :])
    return list(messages)


def last_assistant_text(messages: Sequence[Message]) -> str | None:
    """The text of the last assistant message that has any text, or None."""
    for message in reversed(messages):
        if message.role == "assistant" and message.text.strip():
            return message.text
    return None


def has_finished_assistant_turn(messages: Sequence[Message]) -> bool:
    """True if the last message is the assistant's and calls no tool: the agent stopped."""
    return bool(messages) and messages[-1].role == "assistant" and not messages[-1].tool_uses


def _normalize(text: str) -> str:
    return " ".join(text.split())


def contains_assistant_text(messages: Sequence[Message], text: str | None) -> bool:
    """True if an assistant message holds `text` (whitespace-normalised, exact match).

    Used to tell whether the transcript has caught up with the turn a Stop hook names in
    ``last_assistant_message``. Consecutive assistant messages are also compared joined,
    since Claude Code writes one reply as several lines. Empty `text` gives False.
    """
    wanted = _normalize(text or "")
    if not wanted:
        return False
    run: list[str] = []
    for message in messages:
        if message.role != "assistant":
            run = []
            continue
        if message.text:
            run.append(message.text)
            if any(_normalize(" ".join(run[start:])) == wanted for start in range(len(run))):
                return True
    return False
