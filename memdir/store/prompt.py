"""The memory section of an agent's system prompt, in memdir's own words."""

from __future__ import annotations

from ..types import MemoryType

TYPE_GUIDE: dict[MemoryType, tuple[str, str]] = {
    MemoryType.USER: (
        "Who the user is: their role, what they know well and what they are new to, how "
        "they like to work and to be answered.",
        "Save when you learn something lasting about the person, not about today's task.",
    ),
    MemoryType.FEEDBACK: (
        'How to work, as the user taught you: corrections ("don\'t do X") and confirmations '
        '("yes, keep doing Y"). Record both; confirmations are easy to miss.',
        "Body: the rule, then a `**Why:**` line with the reason the user gave, then a "
        "`**How to apply:**` line saying when it applies.",
    ),
    MemoryType.PROJECT: (
        "Decisions, deadlines, incidents, constraints and who owns what: facts about the work "
        "that neither the code nor git history records.",
        "Same Why / How to apply body. Write dates as absolute dates (2026-03-05), never "
        '"Thursday" or "next week": the memory will be read long after today.',
    ),
    MemoryType.REFERENCE: (
        "Where things live outside the repository: trackers, dashboards, runbooks, channels, "
        "documents, and what each is for.",
        "One pointer per memory, with what to look for there.",
    ),
}

DO_NOT_SAVE = (
    "code patterns, conventions or file layouts (read the code instead)",
    "git history, who changed what, or commit hashes (ask git)",
    "fixes and debugging recipes (the fix is in the code; the commit message has the story)",
    "the state of the task in progress (it is stale by the next session)",
    "anything already in project docs such as README or CLAUDE.md files",
    "secrets of any kind: keys, tokens, passwords",
)


def type_section() -> str:
    """The four memory types, what each holds and how to write it."""
    lines = ["## Kinds of memory", ""]
    for kind, (what, how) in TYPE_GUIDE.items():
        lines.append(f"- `{kind.value}`: {what} {how}")
    lines += ["", "## Never save", ""]
    lines += [f"- {item}" for item in DO_NOT_SAVE]
    return "\n".join(lines)


FILE_FORMAT = """## How to save a memory

1. Write one Markdown file per memory in the memory folder, named for its topic
   (for example `testing_policy.md`), starting with frontmatter:

   ```
   ---
   name: Testing policy
   description: One specific line saying what this memory holds; recall reads only this
   type: feedback
   ---
   ```

   then the body. Before writing, check whether an existing memory already covers the
   topic and update it instead of adding a near-duplicate.
2. Add one line for it to `MEMORY.md`: `- [Title](file.md) — short hook`, under 150
   characters. `MEMORY.md` is an index, not a memory: never put content there.
3. When a memory turns out to be wrong, fix or delete it (and its index line)."""

USE_GUIDE = """## Using memories

- Look at memories when they bear on the task, or when the user refers to earlier work.
- A memory is a note written at some past moment. Before you recommend anything based on
  one that names a file, function, flag or setting, check that it still exists and still
  behaves that way. When the memory and the code disagree, trust the code, say so, and
  update or delete the memory.
- If the user asks you to ignore memory, do not use or mention it for that request."""


def build_memory_prompt(*, index_text: str, memory_dir: str, index_note: str | None = None) -> str:
    """The system-prompt section: what to save and how, how to use memories, then the index."""
    parts = [
        "# Memory",
        "",
        f"You keep a persistent, file-based memory in `{memory_dir}`. It carries what you "
        "learn about the user and their work from one conversation to the next. Save what "
        "will still matter in a later session and cannot be found in the code.",
        "",
        type_section(),
        "",
        FILE_FORMAT,
        "",
        USE_GUIDE,
        "",
        "## MEMORY.md",
        "",
    ]
    body = index_text.strip()
    parts.append(body if body else "(No memories yet. The index will list them here.)")
    if index_note:
        parts += ["", index_note]
    return "\n".join(parts) + "\n"
