"""A run's report, generated from the real difference between two states of the folder.

Never from a pass's own account of what it did: each line is a file whose bytes differ,
with the lines added and removed, and the plan's word for it (merged into X, archived
because Y) only as the explanation of a difference that is really there.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .plan import Plan

_VERB = {"added": "created", "removed": "removed", "modified": "updated"}


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file that differs: how, by how many lines, and why (from the plan)."""

    file: str
    change: str  # added | removed | modified
    added: int
    removed: int
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "change": self.change,
            "lines_added": self.added,
            "lines_removed": self.removed,
            "why": self.why,
        }

    def line(self) -> str:
        why = f" — {self.why}" if self.why else ""
        return f"{_VERB[self.change]:8} {self.file} (+{self.added} -{self.removed}){why}"


def _lines(data: bytes | None) -> list[str]:
    return [] if data is None else data.decode("utf-8", errors="replace").splitlines()


def diff_report(
    before: Mapping[str, bytes], after: Mapping[str, bytes], plan: Plan | None = None
) -> list[FileReport]:
    """One entry per file whose bytes differ between `before` and `after`."""
    why: dict[str, str] = {}
    for entry in plan.entries if plan else ():
        text = entry.reason
        if entry.action.value == "merged" and entry.into:
            text = f"merged into {entry.into}"
        elif entry.action.value == "archived":
            text = f"archived: {entry.reason}"
        why[entry.file] = text
    out = []
    for file in sorted(set(before) | set(after)):
        old, new = before.get(file), after.get(file)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "modified"
        plus = minus = 0
        for line in difflib.unified_diff(_lines(old), _lines(new), lineterm="", n=0):
            if line.startswith("+") and not line.startswith("+++"):
                plus += 1
            elif line.startswith("-") and not line.startswith("---"):
                minus += 1
        out.append(FileReport(file, change, plus, minus, why.get(file, "")))
    return out
