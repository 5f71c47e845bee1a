"""``MEMORY.md``: the one-line-per-memory index an agent loads whole.

memdir adds lines for memories the index does not mention and drops list items that
link only to files that no longer exist. Every other line (headings, notes, entries
people or agents wrote in their own words) is kept exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from ..types import MemoryHeader

MAX_INDEX_LINES = 200
MAX_INDEX_BYTES = 25_000
#: Lines longer than this crowd the context; entries we write stay under it.
MAX_ENTRY_CHARS = 150

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
_ITEM = re.compile(r"^\s*[-*+]\s")
# Characters that would end or split a Markdown link target, or start an escape (`%`):
# percent-encoded in the entries we write, decoded again by `local_links`.
_LINK_UNSAFE = re.compile(r"[%#\s()<>\[\]]")


@dataclass(frozen=True, slots=True)
class IndexChanges:
    """What a sync added and removed (lines of text)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True, slots=True)
class CappedIndex:
    """The index as an agent should see it, and which cap (if any) cut it."""

    text: str
    truncated_by: str | None
    total_lines: int
    total_bytes: int


def local_links(line: str) -> list[str]:
    """The memory files a line links to (relative ``.md`` targets, anchors dropped)."""
    targets = []
    for _title, target in _LINK.findall(line):
        if "://" in target or target.startswith(("#", "mailto:", "/")):
            continue
        target = target.split("#", 1)[0].removeprefix("./")
        if "%" in target:
            target = unquote(target)
        if target.endswith(".md"):
            targets.append(target)
    return targets


def is_item(line: str) -> bool:
    """Whether `line` is a Markdown list item (``- ``, ``* `` or ``+ ``)."""
    return _ITEM.match(line) is not None


def linked_files(text: str) -> set[str]:
    """Every memory file the index mentions."""
    found: set[str] = set()
    for line in text.splitlines():
        found.update(local_links(line))
    return found


def _escape_title(title: str) -> str:
    return title.replace("[", "(").replace("]", ")").strip()


def entry_line(header: MemoryHeader) -> str:
    """``- [Title](file.md) — hook``, kept under the line limit by shortening the hook."""
    target = _LINK_UNSAFE.sub(lambda m: quote(m[0], safe=""), header.filename)
    start = f"- [{_escape_title(header.name)}]({target})"
    hook = " ".join(header.description.split())
    if not hook:
        return start
    room = MAX_ENTRY_CHARS - len(start) - 3
    if room < 12:
        return start
    if len(hook) > room:
        hook = hook[: room - 1].rstrip() + "…"
    return f"{start} — {hook}"


def same(name: str) -> str:
    """File names as a case-sensitive file system compares them: as they are."""
    return name


def plan_sync(
    text: str,
    memories: Sequence[MemoryHeader],
    *,
    existing: Iterable[str] = (),
    fold: Callable[[str], str] = same,
) -> tuple[str, IndexChanges]:
    """The new index text for `memories`, and what changed.

    A list item is removed only when every local ``.md`` file it links to is gone; lines
    without such links are never touched. `existing` names files that are there but could
    not be read as memories: their lines stay (the file needs fixing, not forgetting).
    New entries are appended at the end, newest memories first. `fold` makes names equal
    the way the file system does (`str.casefold` where ``Foo.md`` is ``foo.md``).
    """
    present = {fold(m.filename) for m in memories} | {fold(e) for e in existing}
    kept: list[str] = []
    removed: list[str] = []
    lines = text.splitlines()
    for line in lines:
        targets = local_links(line)
        if targets and _ITEM.match(line) and not any(fold(t) in present for t in targets):
            removed.append(line)
            continue
        kept.append(line)
    mentioned = {fold(t) for t in linked_files("\n".join(kept))}
    added = [entry_line(m) for m in memories if fold(m.filename) not in mentioned]
    if not added and not removed:
        return text, IndexChanges()
    while kept and not kept[-1].strip():
        kept.pop()
    new_lines = kept + added
    return ("\n".join(new_lines) + "\n" if new_lines else ""), IndexChanges(
        tuple(added), tuple(removed)
    )


def add_entry(text: str, header: MemoryHeader) -> str | None:
    """`text` with an entry for `header` appended, or None when one is already there."""
    if header.filename in linked_files(text):
        return None
    body = text.rstrip("\n")
    line = entry_line(header)
    return f"{body}\n{line}\n" if body else f"{line}\n"


def remove_entries(
    text: str, filenames: Iterable[str], *, fold: Callable[[str], str] = same
) -> str | None:
    """`text` without list items linking only to `filenames`, or None when none matched."""
    doomed = {fold(f) for f in filenames}
    out: list[str] = []
    changed = False
    for line in text.splitlines():
        targets = local_links(line)
        if targets and _ITEM.match(line) and all(fold(t) in doomed for t in targets):
            changed = True
            continue
        out.append(line)
    if not changed:
        return None
    return "\n".join(out) + "\n" if out else ""


def cap_index(text: str) -> CappedIndex:
    """`text` cut to 200 lines and 25,000 bytes at a line boundary, with a warning if cut."""
    lines = text.splitlines()
    total_lines = len(lines)
    total_bytes = len(text.encode("utf-8"))
    truncated_by: str | None = None
    if total_lines > MAX_INDEX_LINES:
        lines = lines[:MAX_INDEX_LINES]
        truncated_by = "lines"
    kept: list[str] = []
    used = 0
    for line in lines:
        size = len(line.encode("utf-8")) + 1
        if used + size > MAX_INDEX_BYTES:
            truncated_by = "bytes"
            break
        kept.append(line)
        used += size
    out = "\n".join(kept)
    if truncated_by == "lines":
        out += (
            f"\n\n> Note from memdir: MEMORY.md has {total_lines} lines; only the first "
            f"{MAX_INDEX_LINES} are shown (line cap). Keep entries to one short line and move "
            "detail into the memory files."
        )
    elif truncated_by == "bytes":
        out += (
            f"\n\n> Note from memdir: MEMORY.md is {total_bytes:,} bytes; it was cut at "
            f"{MAX_INDEX_BYTES:,} bytes (size cap). Shorten the entries so the whole index fits."
        )
    return CappedIndex(out, truncated_by, total_lines, total_bytes)


def index_problems(
    text: str,
    present: set[str],
    index_path: Path,
    *,
    style: bool = False,
    fold: Callable[[str], str] = same,
) -> list[tuple[str, str]]:
    """Drift between the index and the files, as (rule, message) pairs.

    With `style`, also long lines and the size caps (lint reports those; they are not
    drift, so ``memory index --check`` leaves them out).
    """
    problems: list[tuple[str, str]] = []
    mentioned = {fold(t) for t in linked_files(text)}
    folded = {fold(p) for p in present}
    for filename in sorted(p for p in present if fold(p) not in mentioned):
        problems.append(("index-missing-entry", f"no entry for {filename}"))
    for number, line in enumerate(text.splitlines(), start=1):
        for target in local_links(line):
            if fold(target) not in folded and not (index_path.parent / target).exists():
                problems.append(("index-dead-link", f"line {number} links to missing {target}"))
        if style and len(line) > MAX_ENTRY_CHARS:
            problems.append(
                (
                    "index-long-line",
                    f"line {number} is {len(line)} characters (over {MAX_ENTRY_CHARS})",
                )
            )
    if not style:
        return problems
    lines = text.splitlines()
    if len(lines) > MAX_INDEX_LINES:
        problems.append(
            ("index-too-long", f"{len(lines)} lines, over the {MAX_INDEX_LINES}-line cap")
        )
    size = len(text.encode("utf-8"))
    if size > MAX_INDEX_BYTES:
        problems.append(("index-too-big", f"{size:,} bytes, over the {MAX_INDEX_BYTES:,}-byte cap"))
    return problems
