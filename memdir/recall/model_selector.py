"""The model side-query: which of these memories will clearly help with this query?"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import ModelError
from ..model.boundary import MessageCreator, response_text
from ..types import MemoryHeader

MAX_SELECTED = 5
MAX_TOKENS = 256
#: The model never sees more candidates than this; larger stores are prefiltered.
MAX_CANDIDATES = 200

SYSTEM_PROMPT = (
    "You pick notes from an AI agent's long-term memory that the agent should read before "
    "answering the request below. Each note is listed with its type, file name, date and a "
    "one-line description. Choose at most five notes, and only those that will clearly help "
    "with this request; when unsure, leave a note out. An empty list is a good answer when "
    "nothing fits. If the request mentions tools the agent already used, skip notes that "
    "merely explain how to use those tools, but keep notes that warn about them or record "
    "known problems. Answer with the file names exactly as listed."
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "selected_memories": {
            "type": "array",
            "items": {"type": "string"},
            "description": "File names of the chosen notes, most useful first.",
        }
    },
    "required": ["selected_memories"],
    "additionalProperties": False,
}


def manifest_line(header: MemoryHeader) -> str:
    """``- [type] filename (ISO mtime): description``; ``updated:`` wins over the mtime."""
    stamp = datetime.fromtimestamp(header.changed_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kind = header.type.value if header.type else "unknown"
    return f"- [{kind}] {header.filename} ({stamp}): {header.description}"


def build_request(
    query: str, candidates: Sequence[MemoryHeader], *, tools: Sequence[str] = ()
) -> dict[str, Any]:
    """The Messages API parameters for one selection (model and budget added by the caller).

    The manifest is its own content block marked for prompt caching: on an unchanged store
    consecutive recalls reuse it, and only the query block is new.
    """
    manifest = "Memory notes available:\n" + "\n".join(manifest_line(h) for h in candidates)
    request_text = f"Request: {query.strip()}"
    if tools:
        request_text += f"\nTools the agent used recently: {', '.join(tools)}"
    return {
        "max_tokens": MAX_TOKENS,
        "system": SYSTEM_PROMPT,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": manifest, "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": request_text},
                ],
            }
        ],
        "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
    }


def parse_selection(text: str, candidates: Sequence[MemoryHeader]) -> list[MemoryHeader]:
    """The chosen headers, in the model's order: unknown names dropped, at most five.

    Raises:
        ModelError: the answer is not the JSON object we asked for.
    """
    try:
        data = json.loads(text)
        names = data["selected_memories"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(
            f"selector answer is not the expected JSON: {text[:80]!r}", kind="malformed"
        ) from exc
    if not isinstance(names, list):
        raise ModelError("selected_memories is not a list", kind="malformed")
    by_name = {h.filename: h for h in candidates}
    chosen: list[MemoryHeader] = []
    for name in names:
        header = by_name.get(name) if isinstance(name, str) else None
        if header is not None and header not in chosen:
            chosen.append(header)
    return chosen[:MAX_SELECTED]


def select_with_model(
    client: MessageCreator,
    query: str,
    candidates: Sequence[MemoryHeader],
    *,
    tools: Sequence[str] = (),
    budget_s: float,
) -> list[MemoryHeader]:
    """Ask the model which candidates to surface.

    Raises:
        ModelError: the call failed or the answer could not be read.
    """
    message = client.create_message(
        budget_s=budget_s, **build_request(query, candidates, tools=tools)
    )
    return parse_selection(response_text(message), candidates)
