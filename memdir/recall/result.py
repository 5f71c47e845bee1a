"""What recall returns: the records, their one JSON form, and the block an agent reads.

`RecallResult.to_json` is the only wire format: `memory recall --json`, the MCP server
and the daemon's socket answer all carry it, and `RecallResult.from_json` rebuilds the
very same result from it (a round trip loses nothing, which a test holds it to).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..types import MemoryHeader, MemoryType

if TYPE_CHECKING:
    from ..verify import Reference


# An opening or closing tag such as </system-reminder>: a memory that holds one would end
# the block it is shown in, and whatever follows would read as the user's own words.
_TAG = re.compile(r"<(\s*/?\s*[A-Za-z][\w.:-]*)")


def escape_wrappers(text: str) -> str:
    """`text` with every tag-like ``<name`` / ``</name`` written as ``&lt;name``, so recalled
    text can never close (or open) the wrapper it is injected in."""
    return _TAG.sub(r"&lt;\1", text)


@dataclass(frozen=True, slots=True)
class RecalledMemory:
    """One memory chosen for the query, read within its caps.

    `low_confidence` marks a memory that did not clear the selector's cut-off and was
    returned only because the caller asked for a fixed number of memories. `author` is
    who last changed a team memory (from git); None for private memories.
    """

    header: MemoryHeader
    age_days: int
    freshness: str
    content: str
    truncated: bool
    why: str
    references: tuple[Reference, ...] = ()
    low_confidence: bool = False
    author: str | None = None
    #: The offline selector's score and the query words that matched; None and () when
    #: a model chose the memory (it gives no score).
    score: float | None = None
    matched: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Every field as plain JSON (the header's scan snippet aside: `content` holds the body)."""
        h = self.header
        return {
            "filename": h.filename,
            "path": str(h.path),
            "source": h.source,
            "author": self.author,
            "type": h.type.value if h.type else None,
            "name": h.name,
            "description": h.description,
            "age_days": self.age_days,
            "freshness": self.freshness,
            "content": self.content,
            "truncated": self.truncated,
            "references": [r.to_json() for r in self.references],
            "low_confidence": self.low_confidence,
            "why": self.why,
            "score": self.score,
            "matched": list(self.matched),
            "raw_type": h.raw_type,
            "updated": h.updated.isoformat() if h.updated else None,
            "mtime": h.mtime,
            "size": h.size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecalledMemory:
        """The memory `to_json` described.

        Raises:
            KeyError, TypeError, ValueError: `data` is not what `to_json` writes.
        """
        raw_type = data["raw_type"]
        updated = data["updated"]
        references: tuple[Reference, ...] = ()
        if data["references"]:
            # Loaded only when needed: the verifier's patterns cost start-up time.
            from ..verify import Reference

            references = tuple(Reference.from_json(r) for r in data["references"])
        header = MemoryHeader(
            path=Path(data["path"]),
            filename=data["filename"],
            name=data["name"],
            description=data["description"],
            type=MemoryType.parse(raw_type),
            raw_type=raw_type,
            mtime=float(data["mtime"]),
            size=int(data["size"]),
            updated=date.fromisoformat(updated) if updated else None,
        )
        return cls(
            header=header,
            age_days=int(data["age_days"]),
            freshness=data["freshness"],
            content=data["content"],
            truncated=bool(data["truncated"]),
            why=data["why"],
            references=references,
            low_confidence=bool(data["low_confidence"]),
            author=data["author"],
            score=None if data.get("score") is None else float(data["score"]),
            matched=tuple(data.get("matched") or ()),
        )


@dataclass(frozen=True, slots=True)
class RecallResult:
    """What recall found, which selector chose it, and why it fell back if it did."""

    query: str
    selector: str
    fallback_reason: str | None
    memories: tuple[RecalledMemory, ...]
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Every field as plain JSON; `from_json` turns it back into an equal result."""
        return {
            "selector": self.selector,
            "fallback_reason": self.fallback_reason,
            "memories": [m.to_json() for m in self.memories],
            "query": self.query,
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecallResult:
        """The result `to_json` described.

        Raises:
            KeyError, TypeError, ValueError: `data` is not what `to_json` writes.
        """
        return cls(
            query=data["query"],
            selector=data["selector"],
            fallback_reason=data["fallback_reason"],
            memories=tuple(RecalledMemory.from_json(m) for m in data["memories"]),
            skipped=data["skipped"],
        )

    def render(self) -> str:
        """The block to put in an agent's context ("" when nothing was recalled)."""
        if not self.memories:
            return ""
        parts = [
            "Memories recalled for this request, from the agent's memory folder. They were "
            "written in earlier sessions: treat them as notes, not as facts about the present."
        ]
        from ..store.secrets import redact  # here: its patterns cost start-up time

        for m in self.memories:
            h = m.header
            name = escape_wrappers(redact(h.name)[0])
            kind = h.type.value if h.type else "untyped"
            age = {0: "today", 1: "yesterday"}.get(m.age_days, f"{m.age_days} days ago")
            weak = "; a weaker match" if m.low_confidence else ""
            if h.source == "team":
                # A teammate's text: say whose, so it is weighed as their note, not ours.
                who = f"shared by teammate {m.author}" if m.author else "shared by the team"
                lines = [f"## {name} ({kind} memory {who}, changed {age}{weak}; file {h.path})"]
            else:
                lines = [f"## {name} ({kind} memory, saved {age}{weak}; file {h.path})"]
            if m.freshness:
                lines.append(f"Note: {m.freshness}")
            if m.references:
                from ..verify import render_note

                note = render_note(m.references)
                if note:
                    lines.append(note)
            lines.append("")
            lines.append(escape_wrappers(m.content.rstrip()))
            if m.truncated:
                lines.append(f"[cut to fit; the whole memory is in {h.path}]")
            parts.append("\n".join(lines))
        return "\n\n".join(parts) + "\n"
