"""What recall returns: the records, their one JSON form, and the block an agent reads.

`RecallResult.to_json` is the only wire format: `memory recall --json`, the MCP server
and the daemon's socket answer all carry it, and `RecallResult.from_json` rebuilds the
very same result from it (a round trip loses nothing, which a test holds it to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..types import MemoryHeader, MemoryType

if TYPE_CHECKING:
    from ..verify import Reference


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
        from .block import render_block

        return render_block(self.to_json())
