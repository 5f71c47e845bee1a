"""`MemoryDir`: one memory folder, its files and its index, safe to share between processes."""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import (
    InvalidMemoryError,
    MemoryExistsError,
    MemoryNotFoundError,
    SecretDetectedError,
    StoreIOError,
    UnsafePathError,
)
from ..fsio import atomic_write, confine, file_lock
from ..paths import claude_memory_dir, folder_key, state_dir
from ..types import Memory, MemoryHeader, MemoryType, ScanReport
from . import index as index_mod
from .content import check_name, derivable_content, slugify
from .freshness import age_days
from .memoryfile import render, split_frontmatter, text_field, updated_field, validate_fields
from .scan import INDEX_NAME, HeaderCache, drop_shadowed, parse_header, read_head, scan

#: Called with the path of every file memdir writes or deletes (e.g. for mutual exclusion).
WriteListener = Callable[[Path], None]


@dataclass(frozen=True, slots=True)
class SaveResult:
    """The memory as written, and warnings about content that should not be stored."""

    memory: Memory
    warnings: tuple[str, ...] = ()


def _check_secrets(text: str, *, path: Path, field: str) -> None:
    from .secrets import find_secrets

    found = find_secrets(text)
    if found:
        first = found[0]
        raise SecretDetectedError(
            f"looks like a credential ({first.kind}, line {first.line}: {first.preview}); "
            "memories are plain files kept in git, so secrets are refused",
            path=path,
            field=field,
        )


class MemoryDir:
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
    def for_project(cls, start: Path | str, env: Mapping[str, str] | None = None) -> MemoryDir:
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

    def _lock_path(self) -> Path:
        return self.state_path / "locks" / f"{self.key}.index.lock"

    def index_lock(self, timeout: float = 30.0) -> contextlib.AbstractContextManager[None]:
        """The inter-process lock every index edit holds."""
        return file_lock(self._lock_path(), timeout=timeout)

    def exists(self) -> bool:
        return self.path.is_dir()

    def init(self) -> bool:
        """Create the folder and an empty index; True when anything was created."""
        created = False
        if not self.path.is_dir():
            self.path.mkdir(parents=True, exist_ok=True)
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

    def _relative(self, target: Path) -> str:
        """The file name of a resolved path, as scans give it (``team/...`` for the team)."""
        real = Path(os.path.realpath(self.path))
        if real == target or real in target.parents:
            return target.relative_to(real).as_posix()
        elsewhere = self._in_repo_team()
        assert elsewhere is not None, target  # resolve() confines to one of the two
        return "team/" + target.relative_to(os.path.realpath(elsewhere)).as_posix()

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

    def scan(self, *, use_cache: bool = True) -> ScanReport:
        """Headers of every memory, newest first, with the files that could not be read."""
        if not self.path.is_dir():
            return ScanReport(())
        report = scan(self.path, cache=self.header_cache() if use_cache else None)
        elsewhere = self._in_repo_team()
        if elsewhere is None or not elsewhere.is_dir():
            return report
        if self._team_cache is None and use_cache:
            self._team_cache = HeaderCache(self.state_path / "cache" / f"{self.key}.team.cache")
        team = scan(elsewhere, cache=self._team_cache if use_cache else None, prefix="team/")
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

    def read(self, header_or_file: MemoryHeader | str) -> Memory:
        """Read one memory in full (by header or relative file name)."""
        filename = (
            header_or_file.filename if isinstance(header_or_file, MemoryHeader) else header_or_file
        )
        path = self.resolve(filename)
        try:
            text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
            st = path.stat()
        except FileNotFoundError as exc:
            raise MemoryNotFoundError("file is gone", path=path) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreIOError(f"cannot read: {exc}", path=path) from exc
        parsed = split_frontmatter(text.replace("\r\n", "\n"))
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
            raw_type=str(raw_type) if raw_type is not None else None,
            updated=updated,
            extra={k: v for k, v in meta.items() if k not in ("name", "description", "type")},
        )

    def get(self, name: str) -> Memory:
        """Find and read a memory by name."""
        return self.read(self.find(name))

    # -- writing ---------------------------------------------------------------------

    def _notify(self, path: Path) -> None:
        for listener in self.listeners:
            listener(path)

    def _header_for(self, path: Path, filename: str) -> MemoryHeader:
        st = path.stat()
        head, reason = read_head(path, size=st.st_size)
        header, problem = parse_header(
            path, filename, head or "", mtime=st.st_mtime, size=st.st_size
        )
        if header is None:
            raise InvalidMemoryError(problem.reason if problem else str(reason), path=path)
        return header

    def save(
        self,
        *,
        name: str,
        description: str,
        type: MemoryType | str,
        body: str,
        extra: Mapping[str, Any] | None = None,
        filename: str | None = None,
        overwrite: bool = False,
        scope: str | None = None,
    ) -> SaveResult:
        """Validate and write a memory, then add its index line.

        A new memory (no `filename`) goes to the team folder or stays private by the
        team's scope rules (`memdir.team.scope.route`); `scope` ("team" or "private")
        overrides them.

        Raises:
            InvalidMemoryError: a field is invalid (the message names it).
            SecretDetectedError: the content looks like a credential.
            UnsafePathError: the name or file name would leave the folder.
            MemoryExistsError: the file exists and `overwrite` is False.
        """
        try:
            check_name(name)
        except UnsafePathError as exc:
            raise UnsafePathError(exc.message, path=self.path, field="name") from exc
        stem = slugify(name)
        if not stem:
            raise InvalidMemoryError(
                f"name {name!r} has no letters or digits to make a file name from", field="name"
            )
        relative = filename or self._routed(f"{stem}.md", type, scope, overwrite=overwrite)
        if not relative.endswith(".md") or relative == INDEX_NAME:
            raise InvalidMemoryError(
                f"file name {relative!r} must end in .md and not be {INDEX_NAME}",
                path=self.path,
                field="filename",
            )
        target = self.resolve(relative)
        parsed_type = validate_fields(name=name, description=description, type=type, path=target)
        for field_name, value in (("name", name), ("description", description), ("body", body)):
            _check_secrets(value, path=target, field=field_name)
        if target.exists() and not overwrite:
            raise MemoryExistsError(
                f"a memory already uses this file; pick another name or edit it "
                f"(`memory edit {relative[:-3]}`)",
                path=target,
                field="name",
            )
        text = render(
            name=name, description=description, type=parsed_type, body=body, extra=extra or {}
        )
        self.init()
        atomic_write(target, text)
        self._notify(target)
        rel = self._relative(target)
        header = self._header_for(target, rel)
        with self.index_lock():
            current = self._read_index()
            new = index_mod.add_entry(current, header)
            if new is not None:
                atomic_write(self.index_path, new)
        warnings = tuple(message for _rule, message in derivable_content(body))
        return SaveResult(self.read(rel), warnings)

    def _routed(
        self, relative: str, type: MemoryType | str, scope: str | None, *, overwrite: bool
    ) -> str:
        """`relative` in the folder the scope rules pick (``team/`` prefixed for the team)."""
        from ..team.scope import route

        kind = MemoryType.parse(type)
        if kind is None:
            return relative  # validation below names the bad type
        shared = route(self.path, self.state_path, kind, scope=scope) == "team"
        chosen, other = (f"team/{relative}", relative) if shared else (relative, f"team/{relative}")
        if not overwrite and os.path.lexists(self.resolve(other)):
            raise MemoryExistsError(
                "a memory already uses this file in the other folder (private or team); "
                "pick another name",
                path=self.resolve(other),
                field="name",
            )
        return chosen

    def update(
        self,
        name: str,
        *,
        description: str | None = None,
        type: MemoryType | str | None = None,
        body: str | None = None,
        new_name: str | None = None,
    ) -> SaveResult:
        """Change fields of an existing memory in place; unknown keys are kept.

        Raises:
            MemoryNotFoundError: no such memory.
            InvalidMemoryError: the new values are invalid; the file is unchanged.
        """
        current = self.get(name)
        return self.save(
            name=new_name if new_name is not None else current.name,
            description=description if description is not None else current.description,
            type=type if type is not None else (current.type or current.raw_type or ""),
            body=body if body is not None else current.body,
            extra=current.extra,
            filename=current.filename,
            overwrite=True,
        )

    def write_text(self, relative: str, text: str) -> MemoryHeader:
        """Write a whole memory file as given (after validation); used by editors and tools.

        Raises:
            InvalidMemoryError: the text lacks valid frontmatter in the taxonomy.
            SecretDetectedError: the text looks like it holds a credential.
        """
        target = self.resolve(relative)
        if not relative.endswith(".md") or Path(relative).name == INDEX_NAME:
            raise InvalidMemoryError("memory files end in .md", path=target, field="path")
        parsed = split_frontmatter(text.replace("\r\n", "\n"))
        if parsed.error is not None or not parsed.meta:
            raise InvalidMemoryError(
                parsed.error or "no frontmatter; start the file with --- name/description/type ---",
                path=target,
                field="frontmatter",
            )
        meta = parsed.meta
        for key in ("name", "description"):
            if not isinstance(meta.get(key), str):
                raise InvalidMemoryError("missing, or not text (quote it)", path=target, field=key)
        validate_fields(
            name=meta["name"],
            description=meta["description"],
            type=str(meta.get("type")),
            path=target,
        )
        _check_secrets(text, path=target, field="body")
        self.init()
        atomic_write(target, text if text.endswith("\n") else text + "\n")
        self._notify(target)
        header = self._header_for(target, self._relative(target))
        with self.index_lock():
            new = index_mod.add_entry(self._read_index(), header)
            if new is not None:
                atomic_write(self.index_path, new)
        return header

    def delete(self, name: str) -> Path:
        """Remove a memory file and its index line; returns the removed path.

        Raises:
            MemoryNotFoundError: no such memory.
        """
        header = self.find(name)
        path = self.resolve(header.filename)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreIOError(f"cannot delete: {exc.strerror}", path=path) from exc
        self._notify(path)
        with self.index_lock():
            new = index_mod.remove_entries(self._read_index(), [header.filename])
            if new is not None:
                atomic_write(self.index_path, new)
        return path

    # -- the index -------------------------------------------------------------------

    def _read_index(self) -> str:
        try:
            return self.index_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreIOError(f"cannot read the index: {exc}", path=self.index_path) from exc

    def read_index(self) -> str:
        """The raw text of ``MEMORY.md`` ("" when missing)."""
        return self._read_index()

    def sync_index(self, *, dry_run: bool = False) -> index_mod.IndexChanges:
        """Add missing entries and drop entries for deleted files; other lines are kept."""
        report = self.scan()
        root = Path(os.path.realpath(self.path))
        unreadable = []
        for problem in report.problems:
            with contextlib.suppress(ValueError):
                unreadable.append(Path(os.path.realpath(problem.path)).relative_to(root).as_posix())
        with self.index_lock():
            current = self._read_index()
            new, changes = index_mod.plan_sync(current, report.memories, existing=unreadable)
            if changes.changed and not dry_run:
                atomic_write(self.index_path, new)
        return changes

    def index_problems(self, *, style: bool = False) -> builtins.list[tuple[str, str]]:
        """Drift of the index as (rule, message) pairs; `style` adds line and size checks."""
        present = {h.filename for h in self.scan().memories}
        return index_mod.index_problems(self._read_index(), present, self.index_path, style=style)

    def load_index(self) -> index_mod.CappedIndex:
        """The index as an agent should load it: capped, with a warning if cut."""
        return index_mod.cap_index(self._read_index())
