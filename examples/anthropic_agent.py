#!/usr/bin/env python3
"""A small tool-using agent on the `anthropic` SDK, with memdir's library hook wired in.

    export ANTHROPIC_API_KEY=...
    python examples/anthropic_agent.py --memory-dir ./memories "what time is it?"
    python examples/anthropic_agent.py --memory-dir ./memories        # interactive

Per user prompt the loop is:

    hook.before_model(messages)     recall starts in the background for the new prompt
    hook.collect()                  recalled memories, once ready, join the last user message
    client.messages.create(...)     the main model works (recall finishes meanwhile)
    ... run tools, append results, back to before_model / collect ...
    hook.after_turn(messages)       no more tool calls: extraction is scheduled

and on exit `hook.close()` gives pending extraction a few seconds to finish (it runs in a
detached process, so it carries on if that is not enough).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path
from typing import Any

import anthropic

from memdir import MemoryHook
from memdir.model.config import DEFAULT_MODEL

BASE_PROMPT = (
    "You are a helpful assistant working in the user's current directory. Use the tools "
    "when they help; keep answers short."
)

TOOLS: list[dict[str, Any]] = [
    {
        "name": "get_time",
        "description": "The current date and time in UTC, as an ISO 8601 string.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "read_file",
        "description": "Read a text file under the current directory (first 20,000 characters).",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "A relative path."}},
            "required": ["path"],
        },
    },
]


def run_tool(name: str, tool_input: dict[str, Any]) -> tuple[str, bool]:
    """Run one tool call; returns (result text, is_error)."""
    if name == "get_time":
        return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), False
    if name == "read_file":
        root = Path.cwd().resolve()
        target = (root / str(tool_input.get("path", ""))).resolve()
        if not target.is_relative_to(root):
            return "refused: the path leaves the current directory", True
        try:
            return target.read_text(encoding="utf-8", errors="replace")[:20_000], False
        except OSError as exc:
            return f"cannot read: {exc.strerror}", True
    return f"unknown tool {name!r}", True


def add_to_last_user_message(messages: list[dict[str, Any]], text: str) -> None:
    """Append a text block to the last (user) message, as recalled context."""
    last = messages[-1]
    content = last["content"]
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
    last["content"] = [*blocks, {"type": "text", "text": text}]


def run_turn(
    client: anthropic.Anthropic,
    hook: MemoryHook,
    messages: list[dict[str, Any]],
    *,
    model: str,
    system: list[dict[str, Any]],
) -> str:
    """One user turn: model calls and tool runs until the model stops calling tools."""
    while True:
        hook.before_model(messages)  # a no-op after tool results: same prompt
        memories = hook.collect()  # never waits; None until recall has finished
        if memories:
            add_to_last_user_message(messages, memories)
        response = client.messages.create(
            model=model, max_tokens=1024, system=system, tools=TOOLS, messages=messages
        )
        messages.append(
            {
                "role": "assistant",
                "content": [b.model_dump(exclude_none=True) for b in response.content],
            }
        )
        calls = [b for b in response.content if b.type == "tool_use"]
        if not calls:
            hook.after_turn(messages)
            return "".join(b.text for b in response.content if b.type == "text")
        results = []
        for call in calls:
            text, failed = run_tool(call.name, dict(call.input))
            results.append(
                {"type": "tool_result", "tool_use_id": call.id, "content": text, "is_error": failed}
            )
        messages.append({"role": "user", "content": results})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A small agent with memdir memory.")
    parser.add_argument("prompts", nargs="*", help="Prompts to run in order (default: ask).")
    parser.add_argument("--memory-dir", required=True, type=Path, help="The memory folder.")
    parser.add_argument("--model", default=os.environ.get("MEMDIR_MODEL") or DEFAULT_MODEL)
    parser.add_argument(
        "--offline-recall", action="store_true", help="Select memories without the model."
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=10.0, help="Seconds to wait for extraction."
    )
    args = parser.parse_args(argv)

    client = anthropic.Anthropic()
    messages: list[dict[str, Any]] = []
    with MemoryHook(args.memory_dir, offline=args.offline_recall) as hook:
        # The memory section goes last and is cached: it changes only when memories do.
        system = [
            {"type": "text", "text": BASE_PROMPT},
            {"type": "text", "text": hook.system_prompt(), "cache_control": {"type": "ephemeral"}},
        ]
        prompts = iter(args.prompts) if args.prompts else iter(lambda: input("you> "), "")
        try:
            for prompt in prompts:
                messages.append({"role": "user", "content": prompt})
                print(run_turn(client, hook, messages, model=args.model, system=system))
        except (EOFError, KeyboardInterrupt):
            print()
        finally:
            if not hook.close(timeout=args.drain_timeout):
                print("(extraction is still running in the background)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
