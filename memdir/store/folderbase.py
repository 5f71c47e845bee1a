"""The memory folder's locations and reading; the index and the writes build on it.

`FolderBase` finds and reads files (and `init` creates the folder); the index upkeep is
`memdir.store.folderindex`, the writes `MemoryDir` in `memdir.store.folder`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from ..errors import InvalidMemoryError, MemdirError, MemoryNotFoundError, StoreIOError
from ..fsio import (
    atomic_write,
    confine,
    confine_entry,
)
from ..paths import claude_memory_dir, folder_key, state_dir
from ..progress import Progress
from ..types import Memory, MemoryHeader, MemoryType, ScanReport
from .content import check_name, slugify
from .filetext import read_memory_text
from .freshness import age_days
from .headfields import text_field
from .memoryfile import raw_type_text, split_frontmatter, updated_field, validate_fields
from .scan import (
    HeaderCache,
    drop_shadowed,
    parse_header,
    read_head,
    scan,
)
from .walk import INDEX_NAME

#: Called with the path of every file memdir writes or deletes (e.g. for mutual exclusion).
WriteListener = Callable[[Path], None]


@dataclass(frozen=True, slots=True)
class Inspection:
    """One file of the folder as `FolderBase.inspect` found it."""

    filename: str
    path: Path
    memory: Memory | None
    problem: str | None
    text: str | None


def _relative_to(path: Path, root: Path) -> str | None:
    try:
        return Path(os.path.realpath(path.parent)).joinpath(path.name).relative_to(root).as_posix()
    except ValueError:
        return None


class FolderBase:
    """A folder of memory files plus its ``MEMORY.md`` index.

    Opening a folder never writes; `init` creates it. All writes are atomic, confined to
    the folder, and index edits hold an inter-process lock.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        state: Path | None = None,
        listeners: list[WriteListener] | None = None,
    ) -> None:
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self._state = state
        self.listeners: list[WriteListener] = list(listeners or [])
        self._cache: HeaderCache | None = None
        self._team_cache: HeaderCache | None = None

    def __repr__(self) -> str:
        return f"MemoryDir({str(self.path)!r})"

    @classmethod
    def for_project(cls, start: Path | str, env: Mapping[str, str] | None = None) -> Self:
        """The folder Claude Code uses for the project containing `start`."""
        return cls(claude_memory_dir(start, env))

    # -- locations -------------------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return self.path / INDEX_NAME

    @property
    def state_path(self) -> Path:
        """memdir's state folder for this machine (never inside the memory folder)."""
        if self._state is None:
            self._state = state_dir()
        return self._state

    @property
    def key(self) -> str:
        return folder_key(self.path)

    def exists(self) -> bool:
        return self.path.is_dir()

    def init(self) -> bool:
        """Create the folder and an empty index; True when anything was created."""
        created = False
        if not self.path.is_dir():
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreIOError(
                    f"cannot create the memory folder: {exc.strerror or exc}", path=self.path
                ) from exc
            created = True
        if not self.index_path.exists():
            atomic_write(self.index_path, "")
            created = True
        return created

    def resolve(self, relative: str) -> Path:
        """The absolute path of a file inside the folder, refusing any escape.

        ``team/...`` names a file of the team folder, which in-repo mode keeps elsewhere.
        """
        if relative.startswith("team/"):
            elsewhere = self._in_repo_team()
            if elsewhere is not None:
                return confine(elsewhere, relative[5:])
        return confine(self.path, relative)

    def entry_path(self, relative: str) -> Path:
        """Like `resolve`, for acting on the entry itself: the last component is not
        resolved and no folder on the way may be a link (`memdir.fsio.confine_entry`)."""
        if relative.startswith("team/"):
            elsewhere = self._in_repo_team()
            if elsewhere is not None:
                return confine_entry(elsewhere, relative[5:])
        return confine_entry(self.path, relative)

    @property
    def team_root(self) -> Path | None:
        """The team folder shared with teammates (``team/`` or in-repo), if set up."""
        from ..team.scope import team_root

        return team_root(self.path, self.state_path)

    def _in_repo_team(self) -> Path | None:
        # Only the in-repo mode keeps the team folder outside this one; checked with one
        # failed open of the state record when it is not set up.
        if os.path.isdir(os.path.join(self.path, "team", ".git")):
            return None
        from ..team.scope import in_repo_root

        return in_repo_root(self.path, self.state_path)

    # -- reading ---------------------------------------------------------------------

    def header_cache(self) -> HeaderCache:
        if self._cache is None:
            self._cache = HeaderCache(self.state_path / "cache" / f"{self.key}.headers.cache")
        return self._cache

    def scan(self, *, use_cache: bool = True, progress: Progress | None = None) -> ScanReport:
        """Headers of every memory, newest first, with the files that could not be read.

        `progress` hears ``("reading memories", done, total)`` as the files are read.
        """
        if not self.path.is_dir():
            return ScanReport(())
        report = scan(
            self.path, cache=self.header_cache() if use_cache else None, progress=progress
        )
        elsewhere = self._in_repo_team()
        if elsewhere is None or not elsewhere.is_dir():
            return report
        if self._team_cache is None and use_cache:
            self._team_cache = HeaderCache(self.state_path / "cache" / f"{self.key}.team.cache")
        team = scan(
            elsewhere,
            cache=self._team_cache if use_cache else None,
            prefix="team/",
            progress=progress,
        )
        memories = sorted(
            (*report.memories, *team.memories), key=lambda h: (-h.changed_at, h.filename)
        )
        return ScanReport(tuple(drop_shadowed(memories)), report.problems + team.problems)

    def list(self, type: MemoryType | str | None = None) -> list[MemoryHeader]:
        """Memories newest first, optionally of one type."""
        wanted = MemoryType.parse(type) if type is not None else None
        if type is not None and wanted is None:
            validate_fields(name="x", description="x", type=str(type))
        return [h for h in self.scan().memories if wanted is None or h.type == wanted]

    def find(self, name: str) -> MemoryHeader:
        """The memory called `name`: a file name, a relative path, a stem or a ``name:``.

        Raises:
            MemoryNotFoundError: nothing matches, or several memories share the name.
        """
        check_name(name) if "/" not in name else self.resolve(name)
        wanted = name.strip()
        headers = self.scan().memories
        tests: tuple[Callable[[MemoryHeader], bool], ...] = (
            lambda h: h.filename == wanted or h.filename == f"{wanted}.md",
            lambda h: h.stem == wanted,
            lambda h: h.name == wanted,
            lambda h: h.name.lower() == wanted.lower() or h.stem.lower() == wanted.lower(),
            lambda h: h.stem == slugify(wanted),
        )
        for test in tests:
            hits = [h for h in headers if test(h)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                names = ", ".join(h.filename for h in hits)
                raise MemoryNotFoundError(
                    f"{name!r} matches several memories ({names}); give the file name",
                    path=self.path,
                )
        raise MemoryNotFoundError(
            f"no memory named {name!r}; `memory list` shows them", path=self.path
        )

    def locate(self, name: str) -> str:
        """The relative file of `name`, a memory or any file lint names (broken frontmatter,
        binary, too big, a link, a FIFO): by memory name, file name or stem.

        Raises:
            MemoryNotFoundError: nothing matches, or several files do.
        """
        try:
            return self.find(name).filename
        except MemoryNotFoundError as exc:
            wanted = name.strip().removesuffix(".md").lower()
            root = Path(os.path.realpath(self.path))
            hits = []
            for problem in self.scan().problems:
                relative = _relative_to(problem.path, root)
                if relative is not None and relative.removesuffix(".md").lower() in (
                    wanted,
                    slugify(name),
                ):
                    hits.append(relative)
            if len(hits) != 1:
                raise exc
            return hits[0]

    def read_text(self, relative: str) -> str:
        """The full text of one memory file, read without following links.

        Raises:
            MemoryNotFoundError: the file does not exist.
            StoreIOError: it is not readable text (binary, too big, a link, a FIFO ...).
        """
        path = self.entry_path(relative)
        text, reason = read_memory_text(path)
        if text is None:
            if reason == "gone":
                raise MemoryNotFoundError("the memory file is gone", path=path)
            raise StoreIOError(reason or "unreadable", path=path, field="file")
        return text

    def read(self, header_or_file: MemoryHeader | str) -> Memory:
        """Read one memory in full (by header or relative file name).

        Raises:
            MemoryNotFoundError: the file does not exist (any more).
            StoreIOError: it cannot be read as text.
            InvalidMemoryError: its frontmatter does not parse.
        """
        filename = (
            header_or_file.filename if isinstance(header_or_file, MemoryHeader) else header_or_file
        )
        path = self.entry_path(filename)
        text = self.read_text(filename)
        try:
            st = path.stat(follow_symlinks=False)
        except OSError as exc:
            raise MemoryNotFoundError("the memory file is gone", path=path) from exc
        parsed = split_frontmatter(text)
        if parsed.error is not None:
            raise InvalidMemoryError(parsed.error, path=path, field="frontmatter")
        meta = parsed.meta
        updated = updated_field(meta)
        raw_type = meta.get("type")
        return Memory(
            name=text_field(meta, "name") or path.stem,
            description=text_field(meta, "description") or "",
            type=MemoryType.parse(raw_type),
            body=parsed.body,
            path=path,
            filename=filename,
            mtime=st.st_mtime,
            age_days=age_days(st.st_mtime, updated),
            raw_type=raw_type_text(raw_type),
            updated=updated,
            extra={k: v for k, v in meta.items() if k not in ("name", "description", "type")},
        )

    def inspect(self, name: str) -> Inspection:
        """Any file lint names, as far as it can be read: the memory when it is valid,
        else its problem and (when it is text at all) its raw text; for show and edit.

        Raises:
            MemoryNotFoundError: nothing matches `name`.
        """
        relative = self.locate(name)
        path = self.entry_path(relative)
        try:
            return Inspection(relative, path, self.read(relative), None, self.read_text(relative))
        except MemoryNotFoundError:
            raise
        except MemdirError as exc:
            problem = exc.message
        text: str | None = None
        with contextlib.suppress(MemdirError):
            text = self.read_text(relative)
        root = Path(os.path.realpath(self.path))
        for found in self.scan().problems:
            if _relative_to(found.path, root) == relative:
                problem = found.reason
        return Inspection(relative, path, None, problem, text)

    def get(self, name: str) -> Memory:
        """Find and read a memory by name."""
        return self.read(self.find(name))

    def _header_for(self, path: Path, filename: str) -> MemoryHeader:
        st = path.stat()
        head, reason = read_head(path, size=st.st_size)
        header, problem = parse_header(
            path, filename, head or "", mtime=st.st_mtime, size=st.st_size
        )
        if header is None:
            raise InvalidMemoryError(problem.reason if problem else str(reason), path=path)
        return header

    def _old_header(self, path: Path, filename: str) -> MemoryHeader | None:
        try:
            return self._header_for(path, filename)
        except (OSError, MemdirError):
            return None
