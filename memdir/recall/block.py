"""The block an agent reads: recalled memories rendered from the result's JSON form.

One renderer for every way in: `RecallResult.render` (library, MCP) and the Claude Code
hook, whose answer from the daemon is that JSON already. Rendering from the dict needs
no records, so a hook answered by the daemon imports almost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Opens every non-empty block: what the notes are, and how far to trust them.
INTRO = (
    "Memories recalled for this request, from the agent's memory folder. They were "
    "written in earlier sessions: treat them as notes, not as facts about the present."
)

# An opening or closing tag such as </system-reminder>: a memory that holds one would end
# the block it is shown in, and whatever follows would read as the user's own words.
_TAG = re.compile(r"<(\s*/?\s*[A-Za-z][\w.:-]*)")


def escape_wrappers(text: str) -> str:
    """`text` with every tag-like ``<name`` / ``</name`` written as ``&lt;name``, so recalled
    text can never close (or open) the wrapper it is injected in."""
    return _TAG.sub(r"&lt;\1", text)


def render_block(result: Mapping[str, Any]) -> str:
    """The block to put in an agent's context for `result` (a `RecallResult.to_json`
    dict); "" when nothing was recalled."""
    memories = result["memories"]
    if not memories:
        return ""
    from ..store.redaction import redact

    parts = [INTRO]
    for m in memories:
        name = escape_wrappers(redact(m["name"])[0])
        kind = m["type"] or "untyped"
        days = m["age_days"]
        age = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
        weak = "; a weaker match" if m["low_confidence"] else ""
        path = m["path"]
        if m["source"] == "team":
            # A teammate's text: say whose, so it is weighed as their note, not ours.
            author = m["author"]
            who = f"shared by teammate {author}" if author else "shared by the team"
            lines = [f"## {name} ({kind} memory {who}, changed {age}{weak}; file {path})"]
        else:
            lines = [f"## {name} ({kind} memory, saved {age}{weak}; file {path})"]
        if m["freshness"]:
            lines.append(f"Note: {m['freshness']}")
        if m["references"]:
            from ..verify.notes import note_texts

            note = "\n".join(text for text, _problem in note_texts(m["references"]))
            if note:
                lines.append(note)
        lines.append("")
        lines.append(escape_wrappers(m["content"].rstrip()))
        if m["truncated"]:
            lines.append(f"[cut to fit; the whole memory is in {path}]")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
