"""Keeping ``MEMORY.md`` true: the one sync used by writes, ``memory index`` and the daemon.

memdir adds a line for a memory the index does not mention, drops list items that link
only to files that are gone, and rewrites the lines it generated itself when the memory's
name or description changes. Which lines are its own is recorded in memdir's state
folder (a short hash of each generated line, per file): a line a person or an agent wrote,
or edited since, never matches its record and is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..fsio import atomic_write, read_json_object
from ..types import MemoryHeader
from . import index as index_mod

_VERSION = 1


def _digest(line: str) -> str:
    import hashlib  # here: recall never syncs the index, and starts faster without

    return hashlib.sha1(line.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


class GeneratedLines:
    """Which index line memdir last generated for each memory file (by hash).

    Read and written only under the folder's index lock. A missing or unreadable record
    means "none of the lines is known to be ours": nothing is rewritten, nothing breaks.
    """

    def __init__(self, file: Path) -> None:
        self.file = file
        self._hashes: dict[str, str] | None = None
        self._dirty = False

    def _load(self) -> dict[str, str]:
        if self._hashes is None:
            self._hashes = {}
            data = read_json_object(self.file)
            if data is not None and data.get("version") == _VERSION:
                lines = data.get("lines")
                if isinstance(lines, dict):
                    self._hashes = {
                        k: v for k, v in lines.items() if isinstance(k, str) and isinstance(v, str)
                    }
        return self._hashes

    def is_ours(self, filename: str, line: str) -> bool:
        """Whether `line` is exactly what memdir last generated for `filename`."""
        return self._load().get(filename) == _digest(line)

    def record(self, filename: str, line: str) -> None:
        hashes = self._load()
        digest = _digest(line)
        if hashes.get(filename) != digest:
            hashes[filename] = digest
            self._dirty = True

    def forget(self, filenames: Iterable[str]) -> None:
        hashes = self._load()
        for filename in filenames:
            if hashes.pop(filename, None) is not None:
                self._dirty = True

    def save(self) -> None:
        if not self._dirty or self._hashes is None:
            return
        payload = json.dumps({"version": _VERSION, "lines": self._hashes}, sort_keys=True)
        atomic_write(self.file, payload, mode=0o600, durable=False)
        self._dirty = False


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The new index text and what changed: lines added, removed and rewritten."""

    text: str
    changes: index_mod.IndexChanges
    rewritten: tuple[str, ...] = ()

    @property
    def added(self) -> tuple[str, ...]:
        return self.changes.added

    @property
    def removed(self) -> tuple[str, ...]:
        return self.changes.removed

    @property
    def changed(self) -> bool:
        return self.changes.changed or bool(self.rewritten)


def _only_link(line: str) -> str | None:
    """The one memory file a list item links to, or None."""
    targets = index_mod.local_links(line)
    if len(targets) != 1 or not index_mod.is_item(line):
        return None
    return targets[0]


def refresh_lines(
    text: str,
    memories: Iterable[MemoryHeader],
    generated: GeneratedLines,
    *,
    previous: Mapping[str, MemoryHeader] | None = None,
) -> tuple[str, list[str]]:
    """Rewrite memdir's own lines for `memories` whose name or description changed.

    A line is memdir's own when it matches the record in `generated`, or is exactly the
    line memdir would have generated for the `previous` header of that file.
    """
    # A file half-way through an edit (no type or description yet) keeps its line.
    by_file = {m.filename: m for m in memories if m.type is not None and m.description}
    lines = text.split("\n")
    rewritten: list[str] = []
    # After one write only its file matters: a substring test skips the other lines fast.
    few = list(by_file) if len(by_file) <= 8 else None
    for i, line in enumerate(lines):
        if few is not None and not any(name in line for name in few):
            continue
        target = _only_link(line)
        header = by_file.get(target) if target is not None else None
        if header is None:
            continue
        fresh = index_mod.entry_line(header)
        if line == fresh:
            generated.record(header.filename, line)
            continue
        old = (previous or {}).get(header.filename)
        if generated.is_ours(header.filename, line) or (
            old is not None and line == index_mod.entry_line(old)
        ):
            lines[i] = fresh
            generated.record(header.filename, fresh)
            rewritten.append(fresh)
    return "\n".join(lines), rewritten


def stale_lines(
    text: str, memories: Sequence[MemoryHeader], generated: GeneratedLines
) -> list[tuple[int, str]]:
    """(line number, file) of generated lines that no longer match their memory."""
    by_file = {m.filename: m for m in memories}
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        target = _only_link(line)
        header = by_file.get(target) if target is not None else None
        if header is None or line == index_mod.entry_line(header):
            continue
        if generated.is_ours(header.filename, line):
            found.append((number, header.filename))
    return found


def sync_text(
    text: str,
    memories: Sequence[MemoryHeader],
    generated: GeneratedLines,
    *,
    existing: Iterable[str] = (),
    previous: Mapping[str, MemoryHeader] | None = None,
    drop_dead: bool = True,
    mentioned: set[str] | None = None,
    fold: Callable[[str], str] = index_mod.same,
) -> SyncResult:
    """The index text in line with `memories`: stale own lines rewritten, missing entries
    added, dead entries dropped (with `drop_dead`); `existing` names files that are there
    but unreadable, whose lines stay; `fold` compares names as the file system does."""
    refreshed, rewritten = refresh_lines(text, memories, generated, previous=previous)
    if drop_dead:
        new, changes = index_mod.plan_sync(refreshed, memories, existing=existing, fold=fold)
    else:
        # `mentioned` (when given) was taken before the refresh, which keeps every link.
        raw = mentioned if mentioned is not None else index_mod.linked_files(refreshed)
        linked = {fold(name) for name in raw}
        missing = [m for m in memories if fold(m.filename) not in linked]
        new = refreshed
        if missing:
            body = new.rstrip("\n")
            extra = "\n".join(index_mod.entry_line(m) for m in missing)
            new = f"{body}\n{extra}\n" if body else f"{extra}\n"
        changes = index_mod.IndexChanges(tuple(index_mod.entry_line(m) for m in missing))
    for line in changes.added:
        target = _only_link(line)
        if target is not None:
            generated.record(target, line)
    generated.forget(t for line in changes.removed for t in index_mod.local_links(line))
    if not changes.changed and not rewritten:
        return SyncResult(text, changes)
    return SyncResult(new, changes, tuple(rewritten))
