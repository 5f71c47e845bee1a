"""Records and the closed memory taxonomy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any


class MemoryType(StrEnum):
    """The four kinds of memory; nothing else is written."""

    USER = "user"
    FEEDBACK = "feedback"
    PROJECT = "project"
    REFERENCE = "reference"

    @classmethod
    def parse(cls, value: object) -> MemoryType | None:
        """The member for `value`, or None when it is missing or not one of the four."""
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                return None
        return None

    @classmethod
    def choices(cls) -> list[str]:
        return [m.value for m in cls]


@dataclass(frozen=True, slots=True)
class MemoryHeader:
    """What a scan learns about one memory file from its first 30 lines.

    `filename` is the path relative to the memory folder, with forward slashes.
    `type` is None when the file has no type or an unknown one (see `raw_type`).
    `snippet` is whatever body text fell inside the scanned lines.
    """

    path: Path
    filename: str
    name: str
    description: str
    type: MemoryType | None
    raw_type: str | None
    mtime: float
    size: int
    updated: date | None = None
    snippet: str = ""

    @property
    def stem(self) -> str:
        return Path(self.filename).stem

    @property
    def source(self) -> str:
        """ "team" for a memory in the shared team folder (``team/...``), else "private"."""
        return "team" if self.filename.startswith("team/") else "private"

    @property
    def changed_at(self) -> float:
        """When the memory last changed, as a timestamp: the frontmatter ``updated:`` date
        (local midnight) when there is one, since a git checkout resets file times; else
        the file's mtime."""
        if self.updated is not None:
            return datetime.combine(self.updated, time()).timestamp()
        return self.mtime


@dataclass(frozen=True, slots=True)
class Memory:
    """One memory read in full."""

    name: str
    description: str
    type: MemoryType | None
    body: str
    path: Path
    filename: str
    mtime: float
    age_days: int
    raw_type: str | None = None
    updated: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """A file a scan had to skip or could only half read, and why."""

    path: Path
    reason: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The memories found (newest first) and the files that could not be read."""

    memories: tuple[MemoryHeader, ...]
    problems: tuple[ScanProblem, ...] = ()
