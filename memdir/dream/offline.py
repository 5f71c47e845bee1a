"""The offline pass: what consolidation does without a model, always available.

On the staging copy, in this order:

1. exact and near duplicates of one type are merged (`memdir.dream.duplicates`): the
   longer body is kept, the other's distinct lines are added, and the survivor names
   what it absorbed in ``merged_from:``;
2. relative dates in bodies ("next Thursday") become absolute ones, read against the
   file's own date (`memdir.lint.dates`);
3. memories whose named files and identifiers are all gone from the project are flagged;
   `project` memories among them older than `DreamSettings.stale_days` are retired;
4. the index is tidied: one line per memory, every line under 150 characters, dead and
   repeated entries dropped, lines people wrote in their own words kept.

A file the pass rewrites keeps its age: when it has no ``updated:`` date, the date it had
is written in, since the apply resets its mtime.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import MemdirError
from ..lint.dates import find_relative_dates
from ..progress import Progress, no_progress
from ..store import index as index_mod
from ..store.folder import MemoryDir
from ..store.memoryfile import render
from ..store.walk import INDEX_NAME
from ..types import Memory, MemoryHeader, MemoryType
from .duplicates import Candidate, distinct_lines, duplicate_groups
from .plan import Notes, named_files
from .settings import DreamSettings
from .staging import is_team

_ITEM = re.compile(r"^\s*[-*+]\s")
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
# A bare weekday is rewritten only where it plainly names one day: "on Friday", "by Monday".
_DAY_PREP = re.compile(r"\b(?:on|by|until|till|before|after|since|from)\s+$", re.IGNORECASE)


@dataclass
class OfflineResult:
    """What the pass did, file by file, and what it found but left alone."""

    notes: Notes = field(default_factory=Notes)
    merged: list[tuple[str, list[str]]] = field(default_factory=list)
    dates_fixed: int = 0
    flagged: dict[str, str] = field(default_factory=dict)


def _date_of(memory: Memory) -> date:
    return memory.updated or datetime.fromtimestamp(memory.mtime).date()


def _write(staged: MemoryDir, memory: Memory, *, body: str, extra: dict[str, Any]) -> bool:
    """Rewrite one staged memory; False (and the file untouched) when it fails validation,
    as a hand-written file with a too-long description would."""
    kind = memory.type or MemoryType.PROJECT
    if "updated" not in extra:
        extra = {**extra, "updated": _date_of(memory)}
    text = render(
        name=memory.name, description=memory.description, type=kind, body=body, extra=extra
    )
    try:
        staged.write_text(memory.filename, text, stamp=False)
    except MemdirError:
        return False
    return True


def run_offline(
    staged: MemoryDir,
    *,
    settings: DreamSettings,
    project_root: Path | None = None,
    exclude: Sequence[Path] = (),
    today: date | None = None,
    progress: Progress = no_progress,
) -> OfflineResult:
    """Run the offline pass over `staged` (a staging copy), in place.

    `progress` hears ``("reading memories", done, total)`` and ``("fixing dates", done,
    total)``, memory by memory, then ``("checking references", 0|1, 1)`` with a project.
    """
    result = OfflineResult()
    memories = _load(staged, progress)
    memories = _merge_duplicates(staged, memories, result)
    _fix_dates(staged, memories, result, progress)
    memories = _load(staged)
    if project_root is not None and memories:
        progress("checking references", 0, 1)
        _stale(staged, memories, result, settings, project_root, exclude, today or date.today())
        progress("checking references", 1, 1)
    tidy_index(staged)
    return result


def _load(staged: MemoryDir, progress: Progress = no_progress) -> dict[str, Memory]:
    out = {}
    headers = staged.scan(use_cache=False).memories
    progress("reading memories", 0, len(headers))
    for done, header in enumerate(headers):
        if done:
            progress("reading memories", done, len(headers))
        if is_team(header.filename) or header.type is None:
            continue  # team memories are the team's; untyped files need a person first
        try:
            out[header.filename] = staged.read(header)
        except Exception:  # noqa: BLE001 - an unreadable file is left exactly as it is
            continue
    progress("reading memories", len(headers), len(headers))
    return out


def _merge_duplicates(
    staged: MemoryDir, memories: dict[str, Memory], result: OfflineResult
) -> dict[str, Memory]:
    candidates = [
        Candidate(
            m.filename,
            str(m.type),
            m.description,
            m.body,
            m.mtime
            if m.updated is None
            else datetime.combine(m.updated, datetime.min.time()).timestamp(),
        )
        for m in memories.values()
    ]
    for group in duplicate_groups(candidates):
        survivor = memories[group[0].file]
        body = survivor.body.rstrip("\n")
        absorbed: list[str] = []
        newest = _date_of(survivor)
        for other in group[1:]:
            memory = memories[other.file]
            extra_lines = distinct_lines(memory.body, body)
            if extra_lines:
                body = body + "\n\n" + "\n".join(extra_lines)
            absorbed.append(memory.filename)
            newest = max(newest, _date_of(memory))
        extra = dict(survivor.extra)
        merged_from = named_files(extra.get("merged_from"))
        extra["merged_from"] = merged_from + [f for f in absorbed if f not in merged_from]
        extra["updated"] = newest
        if not _write(staged, survivor, body=body, extra=extra):
            continue
        for file in absorbed:
            staged.resolve(file).unlink()
            memories.pop(file)
        result.merged.append((survivor.filename, absorbed))
        result.notes.update(survivor.filename, f"absorbed {', '.join(absorbed)} (duplicates)")
        memories[survivor.filename] = staged.read(survivor.filename)
    return memories


def rewrite_dates(body: str, written: date) -> tuple[str, int]:
    """`body` with each relative date replaced by the absolute one it meant, and how many."""
    found = find_relative_dates(body, written=written)
    if not found:
        return body, 0
    lines = body.split("\n")
    fixed = 0
    position: dict[int, int] = {}
    for item in found:
        index = item.line - 1
        line = lines[index]
        pattern = re.compile(r"\s+".join(re.escape(w) for w in item.text.split()), re.IGNORECASE)
        match = pattern.search(line, position.get(index, 0))
        if match is None:
            continue
        if item.text.lower() in _WEEKDAYS and not _DAY_PREP.search(line[: match.start()]):
            continue  # "two Friday outages" names a kind of day, not a date
        replacement = item.meant
        lines[index] = line[: match.start()] + replacement + line[match.end() :]
        position[index] = match.start() + len(replacement)
        fixed += 1
    return "\n".join(lines), fixed


def _fix_dates(
    staged: MemoryDir,
    memories: dict[str, Memory],
    result: OfflineResult,
    progress: Progress = no_progress,
) -> None:
    for done, memory in enumerate(memories.values()):
        progress("fixing dates", done, len(memories))
        body, fixed = rewrite_dates(memory.body, _date_of(memory))
        if not fixed:
            continue
        if not _write(staged, memory, body=body, extra=dict(memory.extra)):
            continue
        result.dates_fixed += fixed
        result.notes.update(memory.filename, f"{fixed} relative date(s) made absolute")
    progress("fixing dates", len(memories), len(memories))


def _stale(
    staged: MemoryDir,
    memories: dict[str, Memory],
    result: OfflineResult,
    settings: DreamSettings,
    project_root: Path | None,
    exclude: Sequence[Path],
    today: date,
) -> None:
    if project_root is None or not memories:
        return
    from ..verify.project import ProjectVerifier

    verifier = ProjectVerifier(project_root, state_dir=staged.state_path, exclude=exclude)
    ordered = list(memories.values())
    checked = verifier.verify_many([m.body for m in ordered])
    for memory, refs in zip(ordered, checked, strict=True):
        named = [r for r in refs if r.kind in ("path", "identifier")]
        if not named or any(r.status != "missing" for r in named):
            continue
        gone = ", ".join(r.text for r in named[:5])
        age = (today - _date_of(memory)).days
        if memory.type is MemoryType.PROJECT and age >= settings.stale_days:
            reason = f"stale: everything it names is gone ({gone}) and it is {age} days old"
            staged.resolve(memory.filename).unlink()
            result.notes.archive(memory.filename, reason)
        else:
            result.flagged[memory.filename] = f"everything it names is gone: {gone}"


def tidy_index(staged: MemoryDir) -> None:
    """One line per memory, each under the line limit; dead and repeated entries dropped,
    missing ones added, every other line kept as written."""
    headers = {h.filename: h for h in staged.scan(use_cache=False).memories}
    text = staged.read_index()
    kept: list[str] = []
    listed: set[str] = set()
    for line in text.splitlines():
        targets = index_mod.local_links(line)
        if not targets or not _ITEM.match(line):
            kept.append(line)
            continue
        live = [t for t in targets if t in headers]
        if not live or all(t in listed for t in live):
            continue  # dead, or a second line for memories already listed
        listed.update(live)
        kept.append(_shorten(line, headers[live[0]]))
    while kept and not kept[-1].strip():
        kept.pop()
    ordered: Sequence[MemoryHeader] = list(headers.values())
    kept += [index_mod.entry_line(h) for h in ordered if h.filename not in listed]
    new = "\n".join(kept) + "\n" if kept else ""
    if new != text:
        (Path(staged.path) / INDEX_NAME).write_text(new, encoding="utf-8")


def _shorten(line: str, header: MemoryHeader) -> str:
    limit = index_mod.MAX_ENTRY_CHARS
    if len(line) < limit:
        return line
    link_end = line.find(")", line.find("](")) + 1
    if link_end <= 0 or link_end > limit - 15:
        return index_mod.entry_line(header)
    cut = line[: limit - 2].rstrip()
    cut = cut[: cut.rfind(" ")] if cut.rfind(" ") > link_end else cut
    return cut.rstrip(" ,;:—-") + "…"
