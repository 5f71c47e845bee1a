"""The model pass: merges, contradictions and vague descriptions, decided by a model.

The model works through the memory tool (`memdir.extract.memory_tool.MemoryFolderTool`)
on the staging copy only, so every write gets the same checks as the extractor's (inside
the folder, valid frontmatter in the taxonomy, no secrets) and nothing it does reaches
the real folder before the plan passes the guard. Calls go through the one model
boundary, for at most `DreamSettings.max_turns` turns within `DreamSettings.budget_s`.

Evidence from transcripts follows the extractor's rule: user and assistant text only
(`memdir.extract.evidence.render_for_extraction`), never tool results.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import MemdirError
from ..model.boundary import MessageCreator
from ..progress import Progress, no_progress
from ..store.folder import MemoryDir
from .settings import DreamSettings

MAX_TOKENS = 8192
#: Memories shown in full in the prompt, in bytes; past this only their headers are shown.
MAX_SHOWN_BYTES = 80_000
#: Transcript evidence shown, in characters (the newest part).
MAX_EVIDENCE_CHARS = 20_000
_ARCHIVED = re.compile(
    r"^\s*[-*]?\s*(?:archived|retired):\s*(\S+?\.md)\s*[—:-]+\s*(.+)$", re.I | re.M
)

SYSTEM_PROMPT = """You consolidate an AI agent's memory folder: a set of small Markdown \
files with frontmatter (name, description, type) that the agent recalls from later. You \
work on a copy; a person will be able to see and undo every change you make.

Your job, in order of importance:
1. Merge memories that hold the same or overlapping facts into one. The surviving file must \
keep every fact of the ones it absorbs, and its frontmatter must list them: \
`merged_from: [absorbed_one.md, absorbed_two.md]`. Then delete the absorbed files.
2. Resolve contradictions in favour of the newer statement (a memory's date is shown next \
to it). Write the newer memory so its frontmatter says `supersedes: [older.md]`, then \
delete the older file.
3. Sharpen vague descriptions: one specific line that says what the memory holds, so a \
selector reading only descriptions can find it.
4. Rewrite relative dates ("next Thursday", "last week") as absolute dates (2026-03-05).

Rules:
- Never delete a `user` or `feedback` memory unless a newer memory supersedes it.
- Delete a memory without merging it only when it is plainly obsolete. For each such \
deletion, end your final message with a line `archived: <file.md> — <reason>`.
- Do not edit MEMORY.md (memdir maintains it) or anything under team/.
- Keep the taxonomy: user, feedback, project, reference. Feedback and project bodies keep \
their **Why:** and **How to apply:** lines.
- Be efficient: use few turns, several tool calls per turn. When nothing needs doing, say \
so and stop.
"""


@dataclass
class ModelResult:
    """What the conversation did: turns used, and the reasons given for deletions."""

    turns: int = 0
    archived: dict[str, str] = field(default_factory=dict)
    summary: str = ""


def build_prompt(staged: MemoryDir, *, today: date, evidence: str = "") -> str:
    """The first user message: today, the index, the memories, recent evidence."""
    parts = [
        f"Today is {today.isoformat()}.",
        "",
        "## MEMORY.md (the index)",
        staged.read_index().strip() or "(empty)",
        "",
        "## The memories",
    ]
    used = 0
    for header in staged.scan(use_cache=False).memories:
        kind = header.type.value if header.type else "untyped"
        stamp = date.fromtimestamp(header.changed_at).isoformat()
        try:
            text = header.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if used + len(text) > MAX_SHOWN_BYTES:
            parts.append(
                f"- /memories/{header.filename} [{kind}, {stamp}]: {header.description} "
                "(view it to read it)"
            )
            continue
        used += len(text)
        parts += [f"### /memories/{header.filename} [{kind}, {stamp}]", text.strip(), ""]
    if evidence.strip():
        parts += [
            "",
            "## What recent sessions said (user and assistant text only; tool output omitted)",
            evidence.strip()[-MAX_EVIDENCE_CHARS:],
        ]
    parts += ["", "Consolidate the folder now with the memory tool."]
    return "\n".join(parts)


def run_model(
    staged: MemoryDir,
    client: MessageCreator,
    *,
    settings: DreamSettings,
    today: date | None = None,
    evidence: str = "",
    clock: Callable[[], float] = time.monotonic,
    progress: Progress = no_progress,
) -> ModelResult:
    """Converse with the model over the staged folder until it stops or the turns run out.

    `progress` hears ``("model turns", made, None)`` around each call.

    Raises:
        ModelError: a call failed, or the run's budget ran out.
    """
    from ..extract.memory_tool import MemoryFolderTool  # the anthropic SDK: only now
    from ..extract.toolloop import converse

    replies: list[Any] = []
    converse(
        client,
        MemoryFolderTool(staged),
        build_prompt(staged, today=today or date.today(), evidence=evidence),
        system=SYSTEM_PROMPT,
        max_tokens=MAX_TOKENS,
        budget=settings,
        clock=clock,
        replies=replies,
        task="consolidation",
        progress=progress,
    )
    result = ModelResult(turns=len(replies))
    texts = [b.text for reply in replies for b in reply.content if b.type == "text"]
    result.summary = "\n".join(texts).strip()
    for match in _ARCHIVED.finditer(result.summary):
        result.archived[match.group(1).removeprefix("/memories/")] = match.group(2).strip()
    return result


def transcript_evidence(transcripts: Sequence[Path]) -> str:
    """User and assistant text of `transcripts`, as the extractor renders it."""
    from ..extract.evidence import render_for_extraction
    from ..extract.transcript import load_transcript

    parts = []
    for path in transcripts:
        try:
            parts.append(render_for_extraction(load_transcript(path)))
        except MemdirError:
            continue  # an unreadable transcript is no evidence, not a failed run
    return "\n\n".join(p for p in parts if p.strip())
