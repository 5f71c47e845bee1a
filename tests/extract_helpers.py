"""Transcripts, memory texts and fake-server plumbing shared by the extraction tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from memdir.extract.extractor import Extractor, ExtractSettings
from memdir.model import ModelBoundary, ModelConfig, RetryPolicy
from memdir.store.folder import MemoryDir

CORRECTION = (
    "No, don't mock the database in these integration tests. Last quarter the mocked "
    "tests passed while the real migration broke production."
)

FEEDBACK_TEXT = """---
name: Integration tests hit a real database
description: Never mock the database in integration tests; mocked runs hid a broken migration
type: feedback
---
Integration tests must run against a real database, not mocks.

**Why:** in the last quarter mocked tests passed while a real migration broke production.

**How to apply:** whenever writing or changing integration tests, use the test database.
"""


def memory_text(name: str, *, type_: str = "project", body: str = "A fact.") -> str:
    """A valid memory file's text."""
    return f"---\nname: {name}\ndescription: about {name}\ntype: {type_}\n---\n{body}\n"


def cc_line(kind: str, uuid: str, content: Any) -> str:
    """One Claude Code transcript line (user or assistant)."""
    message: dict[str, Any] = {"role": kind, "content": content}
    if kind == "assistant":
        message = {"id": f"msg_{uuid}", "type": "message", **message}
    return json.dumps(
        {"type": kind, "uuid": uuid, "sessionId": "s-1", "isSidechain": False, "message": message}
    )


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def correction_lines() -> list[str]:
    """A turn in which the user corrects the agent."""
    return [
        cc_line("user", "u1", "Add integration tests for the orders API."),
        cc_line("assistant", "a1", [{"type": "text", "text": "I'll mock the database layer."}]),
        cc_line("user", "u2", CORRECTION),
        cc_line("assistant", "a2", [{"type": "text", "text": "Understood, real database."}]),
    ]


def chat_lines(prefix: str, count: int, *, start: int = 0) -> list[str]:
    """`count` user/assistant exchanges whose texts carry `prefix` and their number."""
    lines = []
    for n in range(start, start + count):
        lines.append(cc_line("user", f"{prefix}-u{n}", f"{prefix} question {n}"))
        lines.append(cc_line("assistant", f"{prefix}-a{n}", [{"type": "text", "text": f"ok {n}"}]))
    return lines


def boundary(store: MemoryDir, url: str) -> ModelBoundary:
    """The real model boundary, pointed at the fake server."""
    config = ModelConfig(api_key="test-key", base_url=url)
    return ModelBoundary(
        config, state_dir=store.state_path, policy=RetryPolicy(base_s=0.01, cap_s=0.05)
    )


def make_extractor(store: MemoryDir, url: str, **settings: Any) -> Extractor:
    values = {"budget_s": 10.0, "call_budget_s": 5.0, **settings}
    return Extractor(store, client=boundary(store, url), settings=ExtractSettings(**values))


def prompt_of(body: dict[str, Any]) -> str:
    """The first user message's text in a recorded request body."""
    content = body["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of a request's last message."""
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return []
    return [block for block in content if block.get("type") == "tool_result"]
