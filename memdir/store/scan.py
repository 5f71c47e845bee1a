"""Scanning a memory folder: every memory's header, newest first, bad files reported.

Only the first 30 lines of each file are read. A header cache keyed on each file's
mtime and size lets an unchanged store be scanned with one ``stat`` per file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..progress import Progress
from ..types import MemoryHeader, MemoryType, ScanProblem, ScanReport
from . import cachefile
from .filetext import read_memory_text
from .headfields import HEAD_BYTES, HEADER_LINES, SNIPPET_CHARS, default_name, text_field
from .memoryfile import raw_type_text, split_frontmatter, updated_field
from .walk import INDEX_NAME, SKIP_DIRS

_CACHE_VERSION = "headers-3"

#: The step `scan` reports to a `Progress`.
_READING = "reading memories"


def iter_markdown(root: Path) -> Iterator[os.DirEntry[str]]:
    """Every ``*.md`` entry below `root` except the index; hidden files and folders skipped.

    Symbolic links, FIFOs and sockets named ``*.md`` are yielded too (never followed or
    opened here), so that the scan and lint report them instead of silently skipping them.
    """
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name not in SKIP_DIRS:
                        stack.append(entry.path)
                elif name.endswith(".md"):
                    if folder == str(root) and name == INDEX_NAME:
                        continue
                    yield entry
            except OSError:
                continue


def link_problem(path: Path | str, root: Path | str) -> str:
    """Why a symbolic link in the memory folder is not read as a memory."""
    try:
        target = os.path.realpath(path, strict=True)
    except OSError:
        return "is a symbolic link that leads nowhere (dangling, or a loop); remove it"
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, target]) != real_root:
        return (
            "is a symbolic link to a file outside the memory folder; memdir never reads "
            "through it (it could expose any file): remove it"
        )
    return (
        "is a symbolic link; memdir reads, writes and deletes only plain files, never "
        "through a link: replace it with the file itself"
    )


def read_head(path: Path | str, *, size: int | None = None) -> tuple[str | None, str | None]:
    """The first 30 lines of a file as text, or (None, reason) when it cannot be a memory."""
    text, reason = read_memory_text(path, size=size, limit=HEAD_BYTES)
    if text is None:
        return None, reason
    return "\n".join(text.split("\n", HEADER_LINES)[:HEADER_LINES]), None


def parse_header(
    path: Path, filename: str, head: str, *, mtime: float, size: int
) -> tuple[MemoryHeader | None, ScanProblem | None]:
    """Build a header from a file's first lines; a problem when it cannot be used."""
    parsed = split_frontmatter(head, max_lines=HEADER_LINES)
    if parsed.error is not None:
        return None, ScanProblem(path, parsed.error, "frontmatter")
    meta = parsed.meta
    raw_type = meta.get("type")
    header = MemoryHeader(
        path=path,
        filename=filename,
        name=text_field(meta, "name") or default_name(filename),
        description=text_field(meta, "description") or "",
        type=MemoryType.parse(raw_type),
        raw_type=raw_type_text(raw_type),
        mtime=mtime,
        size=size,
        updated=updated_field(meta),
        snippet=parsed.body[:SNIPPET_CHARS],
    )
    return header, None


class HeaderCache:
    """Headers of one memory folder keyed by relative path, valid while mtime and size hold.

    Kept in memory by long-lived processes (daemon, library hook) and optionally saved to
    a JSON file in the state folder so that short-lived processes (CLI, hooks) share it.
    """

    def __init__(self, file: Path | None = None) -> None:
        self.file = file
        self._entries: dict[str, tuple[int, int, dict[str, Any]]] = {}
        self._built: dict[str, tuple[int, int, tuple[MemoryHeader | None, ScanProblem | None]]] = {}
        self._dirty = False
        self._loaded = False
        self.last_report: ScanReport | None = None
        self.last_count = 0

    def _load(self) -> None:
        self._loaded = True
        entries = cachefile.load(self.file, _CACHE_VERSION)
        if isinstance(entries, dict):
            self._entries = entries

    def get(self, filename: str, mtime_ns: int, size: int) -> dict[str, Any] | None:
        if not self._loaded:
            self._load()
        entry = self._entries.get(filename)
        if entry is not None and entry[0] == mtime_ns and entry[1] == size:
            return entry[2]
        return None

    def put(self, filename: str, mtime_ns: int, size: int, record: dict[str, Any]) -> None:
        self._entries[filename] = (mtime_ns, size, record)
        self._built.pop(filename, None)
        self._dirty = True

    def built(
        self, filename: str, mtime_ns: int, size: int
    ) -> tuple[MemoryHeader | None, ScanProblem | None] | None:
        """The header object already made for this version of the file, if any.

        Rebuilding headers (paths, enums, dates) from records cost more than the stat
        calls on a warm scan, so a long-lived process keeps the objects themselves.
        """
        entry = self._built.get(filename)
        if entry is not None and entry[0] == mtime_ns and entry[1] == size:
            return entry[2]
        return None

    def keep_built(
        self,
        filename: str,
        mtime_ns: int,
        size: int,
        result: tuple[MemoryHeader | None, ScanProblem | None],
    ) -> None:
        self._built[filename] = (mtime_ns, size, result)

    def retain(self, filenames: set[str]) -> None:
        """Forget files that no longer exist."""
        gone = self._entries.keys() - filenames
        for name in gone:
            del self._entries[name]
            self._built.pop(name, None)
        self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        if not self._dirty or self.file is None:
            return
        cachefile.save(self.file, _CACHE_VERSION, self._entries)
        self._dirty = False


def _to_record(header: MemoryHeader | None, problem: ScanProblem | None) -> dict[str, Any]:
    if header is None:
        assert problem is not None
        return {"problem": problem.reason, "field": problem.field}
    return {
        "name": header.name,
        "description": header.description,
        "raw_type": header.raw_type,
        "updated": header.updated.isoformat() if header.updated else None,
        "snippet": header.snippet,
    }


def _from_record(
    record: dict[str, Any], path: Path, filename: str, mtime: float, size: int
) -> tuple[MemoryHeader | None, ScanProblem | None]:
    from datetime import date

    if "problem" in record:
        return None, ScanProblem(path, record["problem"], record.get("field"))
    raw_type = record["raw_type"]
    updated = record.get("updated")
    return (
        MemoryHeader(
            path=path,
            filename=filename,
            name=record["name"],
            description=record["description"],
            type=MemoryType.parse(raw_type),
            raw_type=raw_type,
            mtime=mtime,
            size=size,
            updated=date.fromisoformat(updated) if updated else None,
            snippet=record["snippet"],
        ),
        None,
    )


def drop_shadowed(memories: list[MemoryHeader]) -> list[MemoryHeader]:
    """Team memories (``team/x.md``) hidden by a private memory of the same path (``x.md``).

    A memory present in both folders is shown once: the private one wins.
    """
    team = [h for h in memories if h.filename.startswith("team/")]
    if not team:
        return memories
    private = {h.filename for h in memories if not h.filename.startswith("team/")}
    return [
        h for h in memories if not (h.filename.startswith("team/") and h.filename[5:] in private)
    ]


def scan(
    root: Path,
    *,
    cache: HeaderCache | None = None,
    prefix: str = "",
    progress: Progress | None = None,
) -> ScanReport:
    """Headers of every memory below `root`, newest first; unreadable files as problems.

    `prefix` is put before every file name (``team/`` for a team folder kept elsewhere).
    `progress` hears ``("reading memories", done, total)`` after each file.
    """
    memories: list[MemoryHeader] = []
    problems: list[ScanProblem] = []
    seen: set[str] = set()
    changed = cache is None
    root_text = str(root)
    prefix_len = len(root_text) + 1
    entries: Iterable[os.DirEntry[str]] = iter_markdown(root)
    total = 0
    if progress is not None:
        listed = list(entries)  # the total first, for the bar
        entries, total = listed, len(listed)
        progress(_READING, 0, total)
    for done, entry in enumerate(entries):
        if progress is not None and done:
            progress(_READING, done, total)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            problems.append(ScanProblem(Path(entry.path), f"cannot stat: {exc.strerror}", "file"))
            continue
        filename = prefix + entry.path[prefix_len:].replace(os.sep, "/")
        seen.add(filename)
        known = cache.built(filename, st.st_mtime_ns, st.st_size) if cache else None
        record = None
        if known is None and cache is not None:
            record = cache.get(filename, st.st_mtime_ns, st.st_size)
        if known is not None:
            header, problem = known
        elif record is not None:
            header, problem = _from_record(
                record, Path(entry.path), filename, st.st_mtime, st.st_size
            )
        else:
            path = Path(entry.path)
            head: str | None
            reason: str | None
            if entry.is_symlink():
                head, reason = None, link_problem(path, root)
            else:
                head, reason = read_head(entry.path, size=st.st_size)
            if head is None:
                header, problem = None, ScanProblem(path, reason or "unreadable", "file")
            else:
                header, problem = parse_header(
                    path, filename, head, mtime=st.st_mtime, size=st.st_size
                )
            if cache is not None:
                cache.put(filename, st.st_mtime_ns, st.st_size, _to_record(header, problem))
        if cache is not None and known is None:
            changed = True
            cache.keep_built(filename, st.st_mtime_ns, st.st_size, (header, problem))
        if header is not None:
            memories.append(header)
        if problem is not None:
            problems.append(problem)
    if progress is not None:
        progress(_READING, total, total)
    if cache is not None:
        cache.retain(seen)
        cache.save()
        # Nothing new and nothing gone: the last report is still right, sorted already.
        last = cache.last_report
        if not changed and last is not None and len(seen) == cache.last_count:
            return last
    memories.sort(key=lambda h: (-h.changed_at, h.filename))
    memories = drop_shadowed(memories)
    problems.sort(key=lambda p: str(p.path))
    report = ScanReport(tuple(memories), tuple(problems))
    if cache is not None:
        cache.last_report, cache.last_count = report, len(seen)
    return report
