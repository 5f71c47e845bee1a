"""Who changed what: the `Actor` and `Operation` records and their commit-message form.

An operation is stored as one git commit. Its message is the one-line summary, a blank
line, then trailers (``Memdir-Actor: extractor``, one ``Memdir-File:`` per path ...), so
plain ``git log`` shows who did what without memdir installed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

#: The kinds of actor an operation can have; anything else is refused when recording.
ACTOR_KINDS = (
    "cli",
    "mcp",
    "extractor",
    "memory-tool",
    "library",
    "dream",
    "team-sync",
    "hand-edit",
)

_PREFIX = "Memdir-"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a kind from `ACTOR_KINDS`, plus a detail (session id, caller)."""

    kind: str
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"unknown actor kind {self.kind!r}; one of {', '.join(ACTOR_KINDS)}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}" if self.detail else self.kind

    @classmethod
    def parse(cls, text: str) -> Actor:
        """The actor written as ``kind`` or ``kind:detail``."""
        kind, _, detail = text.strip().partition(":")
        return cls(kind, detail or None)

    @classmethod
    def library(cls, caller: str | None = None) -> Actor:
        """The library actor, named after the calling program unless a name is given."""
        if caller is None and sys.argv and sys.argv[0] not in ("", "-", "-c", "-m"):
            caller = Path(sys.argv[0]).name or None
        return cls("library", caller)


@dataclass(frozen=True, slots=True)
class Operation:
    """One recorded change to a memory folder (one commit of its history)."""

    id: str
    time: datetime
    actor: Actor
    files: tuple[str, ...]
    summary: str
    #: Files left out of the record because they hold a credential (path, reason).
    skipped: tuple[str, ...] = ()
    #: Renames seen in this operation, as (old, new) paths.
    renames: tuple[tuple[str, str], ...] = ()
    #: The id of the operation this one undid, if it is an undo.
    undoes: str | None = None
    #: The id of the operation before this one ("" for the first).
    parent: str = field(default="", compare=False)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (the shape of `memory log --json`)."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "actor": self.actor.kind,
            "actor_detail": self.actor.detail,
            "files": list(self.files),
            "summary": self.summary,
            "skipped": list(self.skipped),
            "renames": [list(pair) for pair in self.renames],
            "undoes": self.undoes,
        }


def commit_message(
    summary: str,
    *,
    actor: Actor,
    files: tuple[str, ...],
    skipped: tuple[str, ...] = (),
    renames: tuple[tuple[str, str], ...] = (),
    undoes: str | None = None,
) -> str:
    """The commit message for an operation: the summary line, then the trailers."""
    lines = [_one_line(summary), "", f"{_PREFIX}Actor: {actor.kind}"]
    if actor.detail:
        lines.append(f"{_PREFIX}Actor-Detail: {_one_line(actor.detail)}")
    lines += [f"{_PREFIX}File: {path}" for path in files]
    lines += [f"{_PREFIX}Renamed: {old} -> {new}" for old, new in renames]
    lines += [f"{_PREFIX}Skipped: {item}" for item in skipped]
    if undoes:
        lines.append(f"{_PREFIX}Undoes: {undoes}")
    return "\n".join(lines) + "\n"


def parse_message(
    commit_id: str, parent: str, when: datetime, message: str, author: str
) -> Operation:
    """An `Operation` from a commit written by `commit_message` (or by hand, leniently)."""
    summary, _, rest = message.partition("\n")
    kind = detail = None
    files: list[str] = []
    skipped: list[str] = []
    renames: list[tuple[str, str]] = []
    undoes = None
    for line in rest.splitlines():
        key, sep, value = line.partition(": ")
        if not sep or not key.startswith(_PREFIX):
            continue
        key = key.removeprefix(_PREFIX)
        if key == "Actor":
            kind = value
        elif key == "Actor-Detail":
            detail = value
        elif key == "File":
            files.append(value)
        elif key == "Skipped":
            skipped.append(value)
        elif key == "Renamed":
            old, _, new = value.partition(" -> ")
            renames.append((old, new))
        elif key == "Undoes":
            undoes = value
    if kind in ACTOR_KINDS:
        actor = Actor(kind, detail)
    else:
        # A commit someone made with plain git (no actor trailer, or one we do not know):
        # shown as a hand edit by its author.
        actor = Actor("hand-edit", author or None)
    return Operation(
        id=commit_id,
        time=when,
        actor=actor,
        files=tuple(files),
        summary=summary.strip(),
        skipped=tuple(skipped),
        renames=tuple(renames),
        undoes=undoes,
        parent=parent,
    )


def from_timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _one_line(text: str) -> str:
    return " ".join(text.split())
