"""A run's plan: for every memory, kept, updated, merged into another, archived, or created.

The plan is not what a pass says it did: it is read from the difference between the folder
(the snapshot taken when the run started) and the staging copy after the passes.

- a file gone from the copy is **merged** when a surviving file names it in
  ``merged_from:`` and holds most of its words (its facts are kept), or when a surviving
  file holds the very same body (a rename); otherwise it is **archived** (retired), with
  the reason a pass gave, and a ``supersedes:`` from a newer memory recorded when present;
- a file whose bytes changed is **updated**; a new one is **created**; the rest **kept**.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from ..store.headfields import text_field
from ..store.memoryfile import split_frontmatter
from ..store.walk import INDEX_NAME
from ._words import coverage
from .staging import is_team

#: A survivor must hold at least this share of an absorbed memory's words for the
#: absorbed one to count as merged rather than lost.
FACTS_KEPT_MIN = 0.6


class Action(StrEnum):
    """What a run does to one memory."""

    KEPT = "kept"
    UPDATED = "updated"
    MERGED = "merged"
    ARCHIVED = "archived"
    CREATED = "created"


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One memory's fate. `into` is the survivor of a merge; `superseded_by` the newer
    memory that states it replaces an archived one."""

    file: str
    action: Action
    type: str | None = None
    name: str = ""
    reason: str = ""
    into: str | None = None
    superseded_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "action": self.action.value}
        for key in ("type", "name", "reason", "into", "superseded_by"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanEntry:
        return cls(
            file=str(data["file"]),
            action=Action(data["action"]),
            type=data.get("type"),
            name=str(data.get("name", "")),
            reason=str(data.get("reason", "")),
            into=data.get("into"),
            superseded_by=data.get("superseded_by"),
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """Every memory's entry, in file order, and whether the index changes."""

    entries: tuple[PlanEntry, ...]
    index_changed: bool = False

    @property
    def retired(self) -> tuple[PlanEntry, ...]:
        """Memories archived without a survivor holding their facts."""
        return tuple(e for e in self.entries if e.action is Action.ARCHIVED)

    @property
    def changed(self) -> bool:
        return self.index_changed or any(e.action is not Action.KEPT for e in self.entries)

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for entry in self.entries:
            out[entry.action.value] += 1
        return out

    def merged_into(self, file: str) -> str | None:
        """Where `file` went: itself when it survives, its survivor when merged, else None."""
        for entry in self.entries:
            if entry.file == file:
                if entry.action is Action.MERGED:
                    return entry.into
                return None if entry.action is Action.ARCHIVED else file
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": [e.to_json() for e in self.entries],
            "index_changed": self.index_changed,
            "counts": self.counts(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            tuple(PlanEntry.from_json(e) for e in data.get("entries", [])),
            bool(data.get("index_changed", False)),
        )


@dataclass
class Notes:
    """What the passes say about files, by relative path: why a file was archived or
    changed. Only used to explain the plan; the plan itself comes from the bytes."""

    archived: dict[str, str] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)

    def archive(self, file: str, reason: str) -> None:
        self.archived[file] = reason

    def update(self, file: str, reason: str) -> None:
        self.updated.setdefault(file, []).append(reason)


@dataclass(frozen=True, slots=True)
class _Parsed:
    meta: dict[str, Any]
    body: str


def _parse(data: bytes) -> _Parsed:
    parsed = split_frontmatter(data.decode("utf-8", errors="replace").replace("\r\n", "\n"))
    return _Parsed(parsed.meta, parsed.body)


def named_files(value: object) -> list[str]:
    """File names listed in a ``merged_from:`` or ``supersedes:`` value (list or text)."""
    items: list[object]
    if isinstance(value, str):
        items = [v for v in value.replace(",", " ").split()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return []
    out = []
    for item in items:
        if isinstance(item, str) and item.strip():
            out.append(item.strip().removeprefix("/memories/").removeprefix("./"))
    return out


def _matches(reference: str, file: str) -> bool:
    stem = PurePosixPath(file).stem
    return reference in (file, stem, f"{stem}.md", PurePosixPath(file).name)


def build_plan(
    before: Mapping[str, bytes],
    after: Mapping[str, bytes],
    *,
    notes: Notes | None = None,
    changed_at: Mapping[str, float] | None = None,
) -> Plan:
    """The plan from the folder's snapshot (`before`) to the staged copy (`after`).

    `changed_at` gives each file's date (timestamp) for deciding which of two memories is
    newer; a file the run wrote counts as newest.
    """
    notes = notes or Notes()
    dates = dict(changed_at or {})
    parsed_after = {f: _parse(d) for f, d in after.items() if f != INDEX_NAME}
    parsed_before = {f: _parse(d) for f, d in before.items() if f != INDEX_NAME}
    newest = max(dates.values(), default=0.0) + 1.0
    for f in parsed_after:
        if before.get(f) != after.get(f):
            dates[f] = newest
    entries: list[PlanEntry] = []
    for file in sorted(parsed_before):
        old = parsed_before[file]
        kind = text_field(old.meta, "type")
        name = text_field(old.meta, "name") or PurePosixPath(file).stem
        common: dict[str, Any] = {"type": kind, "name": name}
        if file in after:
            if after[file] == before[file]:
                entries.append(PlanEntry(file, Action.KEPT, **common))
            else:
                reason = "; ".join(notes.updated.get(file, [])) or "rewritten"
                entries.append(PlanEntry(file, Action.UPDATED, reason=reason, **common))
            continue
        entries.append(_gone(file, old, parsed_after, notes, dates, common))
    for file in sorted(set(parsed_after) - set(parsed_before)):
        new = parsed_after[file]
        entries.append(
            PlanEntry(
                file,
                Action.CREATED,
                type=text_field(new.meta, "type"),
                name=text_field(new.meta, "name") or PurePosixPath(file).stem,
                reason="; ".join(notes.updated.get(file, [])),
            )
        )
    index_changed = before.get(INDEX_NAME, b"") != after.get(INDEX_NAME, b"")
    return Plan(tuple(entries), index_changed)


def _gone(
    file: str,
    old: _Parsed,
    survivors: Mapping[str, _Parsed],
    notes: Notes,
    dates: Mapping[str, float],
    common: dict[str, Any],
) -> PlanEntry:
    """The entry of a memory missing from the staged copy: merged or archived."""
    short: list[str] = []
    for target, new in survivors.items():
        if not any(_matches(ref, file) for ref in named_files(new.meta.get("merged_from"))):
            continue
        kept = coverage(old.body, new.body)
        if kept >= FACTS_KEPT_MIN:
            return PlanEntry(
                file, Action.MERGED, into=target, reason=f"merged into {target}", **common
            )
        short.append(f"{target} names it in merged_from but holds only {kept:.0%} of its words")
    for target, new in survivors.items():
        if old.body.strip() and new.body.strip() == old.body.strip():
            return PlanEntry(
                file, Action.MERGED, into=target, reason=f"moved to {target}", **common
            )
    superseded_by = None
    for target, new in survivors.items():
        if any(_matches(ref, file) for ref in named_files(new.meta.get("supersedes"))):
            if dates.get(target, 0.0) >= dates.get(file, 0.0):
                superseded_by = target
                break
    reason = notes.archived.get(file) or (short[0] if short else "removed without a reason")
    if superseded_by and file not in notes.archived:
        reason = f"superseded by {superseded_by}"
    return PlanEntry(file, Action.ARCHIVED, reason=reason, superseded_by=superseded_by, **common)


def touches_team(plan: Plan) -> list[str]:
    """Team memories the plan would change (a run must leave them alone)."""
    return [e.file for e in plan.entries if is_team(e.file) and e.action is not Action.KEPT]
