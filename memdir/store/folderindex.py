"""The memory folder's ``MEMORY.md`` upkeep: its lock, its lines after each write, the
full sync, its drift, and how this folder's file system compares names.

`IndexedFolder` adds the index to `memdir.store.folderbase.FolderBase`; `MemoryDir`
adds the writes on top. The index is the one file written here, always under its lock.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import StoreIOError
from ..fsio import atomic_write, file_lock, remove_stale_temp_files
from ..progress import Progress
from ..types import MemoryHeader, ScanReport
from . import index as index_mod
from .filetext import read_memory_text
from .folderbase import FolderBase
from .indexsync import GeneratedLines, SyncResult, stale_lines, sync_text
from .scan import iter_markdown
from .walk import INDEX_NAME

#: The step `IndexedFolder.sync_index` reports once the files are read.
_WRITING = "writing MEMORY.md"


def _case_insensitive(folder: Path) -> bool:
    """Whether `folder`'s file system ignores case, probed without writing anything: the
    folder's own name (or its index) looked up with the case of its letters swapped."""
    for probe in (folder, folder / INDEX_NAME):
        swapped = probe.with_name(probe.name.swapcase())
        if swapped.name == probe.name or not probe.exists():
            continue
        try:
            return os.path.samefile(probe, swapped)
        except OSError:
            return False
    return False


class IndexedFolder(FolderBase):
    """A memory folder with its ``MEMORY.md`` index kept in line with the files."""

    #: Whether the file system ignores case: probed on the first `fold`.
    _case_insensitive: bool | None = None

    def _lock_path(self) -> Path:
        return self.state_path / "locks" / f"{self.key}.index.lock"

    def index_lock(self, timeout: float = 30.0) -> contextlib.AbstractContextManager[None]:
        """The inter-process lock every index edit holds."""
        return file_lock(self._lock_path(), timeout=timeout)

    def fold(self, name: str) -> str:
        """`name` as this folder's file system compares names: case-folded on a
        case-insensitive one (macOS, Windows), where ``Foo.md`` and ``foo.md`` are one file."""
        if self._case_insensitive is None:
            self._case_insensitive = _case_insensitive(self.path)
        return name.casefold() if self._case_insensitive else name

    def generated_lines(self) -> GeneratedLines:
        """The record of the index lines memdir generated for this folder."""
        return GeneratedLines(self.state_path / "index" / f"{self.key}.lines.json")

    def _index_after(
        self,
        changed: Mapping[str, MemoryHeader | None],
        *,
        previous: Mapping[str, MemoryHeader | None] | None = None,
    ) -> None:
        """After a write or delete: the changed files' lines, plus any file a crash left
        unindexed, and stale temporary files of dead writers removed."""
        # The folder is walked before the lock is taken: the walk is the slow part, and a
        # file that appears meanwhile is picked up by the next write.
        remove_stale_temp_files(self.path)
        on_disk = self._memory_files()
        with self.index_lock():
            current = self._read_index()
            text = current
            gone = [rel for rel, header in changed.items() if header is None]
            removed = index_mod.remove_entries(text, gone, fold=self.fold) if gone else None
            if removed is not None:
                text = removed
            generated = self.generated_lines()
            generated.forget(gone)
            mentioned = index_mod.linked_files(text)
            written = [h for h in changed.values() if h is not None]
            known = {self.fold(name) for name in (*mentioned, *changed)}
            for relative in (r for r in on_disk if self.fold(r) not in known):
                header = self._old_header(self.entry_path(relative), relative)
                if header is not None:
                    written.append(header)
            old = {k: v for k, v in (previous or {}).items() if v is not None}
            text = sync_text(
                text,
                written,
                generated,
                previous=old,
                drop_dead=False,
                mentioned=mentioned,
                fold=self.fold,
            ).text
            if text != current:
                atomic_write(self.index_path, text)
            generated.save()

    def _memory_files(self) -> set[str]:
        """Relative names of the plain ``*.md`` files in the folder (links left out)."""
        prefix = len(str(self.path)) + 1
        return {
            entry.path[prefix:].replace(os.sep, "/")
            for entry in iter_markdown(self.path)
            if not entry.is_symlink()
        }

    def _read_index(self) -> str:
        text, reason = read_memory_text(self.index_path)
        if text is None:
            if reason == "gone":
                return ""
            raise StoreIOError(f"cannot read the index: {reason}", path=self.index_path)
        return text

    def read_index(self) -> str:
        """The raw text of ``MEMORY.md`` ("" when missing)."""
        return self._read_index()

    def sync_index(
        self,
        *,
        dry_run: bool = False,
        previous: Mapping[str, MemoryHeader] | None = None,
        report: ScanReport | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """Add missing entries, drop entries for deleted files and rewrite memdir's own
        lines whose memory changed; lines people wrote are kept. Stale temporary files of
        dead writers are removed. `previous` (the daemon's last scan) and `report` (a
        fresh scan) are optional; `progress` hears the files read, then the index written
        (``("writing MEMORY.md", 0|1, 1)``)."""
        report = report or self.scan(progress=progress)
        root = Path(os.path.realpath(self.path))
        unreadable = []
        for problem in report.problems:
            with contextlib.suppress(ValueError):
                unreadable.append(Path(os.path.realpath(problem.path)).relative_to(root).as_posix())
        if progress is not None:
            progress(_WRITING, 0, 1)
        with self.index_lock():
            if not dry_run:
                remove_stale_temp_files(self.path)
            current = self._read_index()
            generated = self.generated_lines()
            result = sync_text(
                current,
                report.memories,
                generated,
                existing=unreadable,
                previous=previous,
                fold=self.fold,
            )
            if result.text != current and not dry_run:
                atomic_write(self.index_path, result.text)
            if not dry_run:
                generated.save()
        if progress is not None:
            progress(_WRITING, 1, 1)
        return result

    def index_problems(
        self, *, style: bool = False, progress: Progress | None = None
    ) -> builtins.list[tuple[str, str]]:
        """Drift of the index as (rule, message) pairs; `style` adds line and size checks.

        `progress` hears ``("reading memories", done, total)`` as the files are read.
        """
        memories = self.scan(progress=progress).memories
        present = {h.filename for h in memories}
        text = self._read_index()
        problems = index_mod.index_problems(
            text, present, self.index_path, style=style, fold=self.fold
        )
        for number, filename in stale_lines(text, memories, self.generated_lines()):
            problems.append(
                (
                    "index-stale-entry",
                    f"line {number} is the entry memdir wrote for {filename}, whose name or "
                    "description has changed since",
                )
            )
        return problems

    def load_index(self) -> index_mod.CappedIndex:
        """The index as an agent should load it: capped, with a warning if cut."""
        return index_mod.cap_index(self._read_index())
