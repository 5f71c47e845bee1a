"""`MemoryDir`: one memory folder, its files and its index, safe to share between processes.

Every write holds the file's own inter-process lock (then the index lock), validates the
whole text with `memdir.store.validate`, acts on the name in the folder and never through
a symbolic link, creates new files so two creators cannot both succeed, stamps
``updated:`` with today's date, and leaves the index in line with the files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidMemoryError,
    MemdirError,
    MemoryExistsError,
    MemoryNotFoundError,
    StoreIOError,
    UnsafePathError,
)
from ..fsio import atomic_write, file_lock
from ..types import Memory, MemoryHeader, MemoryType
from .content import check_name, derivable_content, slugify
from .folderbase import WriteListener
from .memoryfile import render, set_updated, validate_fields
from .recording import Recorded, recorded
from .validate import refuse_invalid
from .walk import INDEX_NAME

if TYPE_CHECKING:
    from ..history import Actor

__all__ = ["MemoryDir", "SaveResult", "WriteListener"]


@dataclass(frozen=True, slots=True)
class SaveResult:
    """The memory as written, and warnings about content that should not be stored."""

    memory: Memory
    warnings: tuple[str, ...] = ()


class MemoryDir(Recorded):
    """A folder of memory files plus its ``MEMORY.md`` index.

    Opening a folder never writes; `init` creates it. All writes are atomic, confined to
    the folder, and hold inter-process locks (the history's, the file's, then the
    index's). Each write method takes ``actor=`` and is one recorded history operation.
    """

    # -- writing ---------------------------------------------------------------------

    def _notify(self, path: Path) -> None:
        for listener in self.listeners:
            listener(path)

    def _file_lock(self, relative: str) -> contextlib.AbstractContextManager[None]:
        """The inter-process lock for one memory file (taken before the index lock).

        Keyed on the lower-cased path, so two spellings of one name on a case-insensitive
        file system share it (two names on a sensitive one merely share a lock).
        """
        import hashlib  # here: only writes need it, and recall starts faster without

        digest = hashlib.sha1(relative.lower().encode(), usedforsecurity=False).hexdigest()
        return file_lock(self.state_path / "locks" / self.key / f"{digest[:20]}.lock")

    def _entry(self, relative: str) -> Path:
        """The path a write or delete acts on: a memory file name, never through a link.

        Raises:
            UnsafePathError: the path leaves the folder or passes through a link.
            InvalidMemoryError: not a ``.md`` file, or the index under any spelling.
        """
        target = self.entry_path(relative)
        if not relative.endswith(".md") or relative.lower() == INDEX_NAME.lower():
            raise InvalidMemoryError(
                f"file name {relative!r} must end in .md and not be {INDEX_NAME} (in any "
                "case: on macOS and Windows memory.md is the index)",
                path=self.path,
                field="filename",
            )
        if any(part.startswith(".") for part in Path(relative).parts):
            raise InvalidMemoryError(
                f"hidden names are not memories: {relative!r}", path=self.path, field="filename"
            )
        if target.is_symlink():
            raise UnsafePathError(
                f"{relative} is a symbolic link; memdir never writes through a link (remove "
                "it, then save again)",
                path=target,
                field="path",
            )
        return target

    def _entry_for_delete(self, relative: str) -> Path:
        path = self.entry_path(relative)
        if relative.lower() == INDEX_NAME.lower():
            raise InvalidMemoryError(
                f"{INDEX_NAME} is the index, not a memory", path=path, field="filename"
            )
        return path

    def _commit(
        self, relative: str, text: str, *, create_only: bool, previous: MemoryHeader | None
    ) -> MemoryHeader:
        """Write a validated text (the file lock held), then bring the index in line."""
        target = self._entry(relative)
        self.init()
        try:
            atomic_write(target, text, exclusive=create_only)
        except FileExistsError as exc:
            raise _exists(relative, target) from exc
        self._notify(target)
        header = self._header_for(target, relative)
        self._index_after({relative: header}, previous={relative: previous} if previous else {})
        return header

    @recorded
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
        actor: Actor | str | None = None,
    ) -> SaveResult:
        """Validate and write a memory (``updated:`` set to today), then index it.

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
        target = self._entry(relative)
        parsed_type = validate_fields(name=name, description=description, type=type, path=target)
        text = render(
            name=name,
            description=description,
            type=parsed_type,
            body=body,
            extra={**(extra or {}), "updated": date.today()},
        )
        refuse_invalid(text, path=target)
        with self._file_lock(relative):
            previous = self._old_header(target, relative) if overwrite else None
            self._commit(relative, text, create_only=not overwrite, previous=previous)
            # Read back under the lock: a delete right after must not turn a save that
            # happened into an error (the caller would think nothing was written).
            saved = self.read(relative)
        return SaveResult(saved, tuple(message for _rule, message in derivable_content(body)))

    def routed_filename(self, relative: str, text: str) -> str:
        """Where a new memory file written whole (by an agent's tool) belongs: `relative`
        itself, or ``team/relative`` when its type goes to the team by the scope rules."""
        from .memoryfile import split_frontmatter

        if "/" in relative:
            return relative  # a path the writer chose on purpose
        meta = split_frontmatter(text.replace("\r\n", "\n")).meta
        try:
            return self._routed(relative, str(meta.get("type")), None, overwrite=False)
        except MemdirError:
            return relative  # the other folder has it, or no team: validation decides

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

    @recorded
    def update(
        self,
        name: str,
        *,
        description: str | None = None,
        type: MemoryType | str | None = None,
        body: str | None = None,
        new_name: str | None = None,
        actor: Actor | str | None = None,
    ) -> SaveResult:
        """Change fields of an existing memory in place; unknown keys are kept.

        Raises:
            MemoryNotFoundError: no such memory, or it was deleted meanwhile.
            InvalidMemoryError: the new values are invalid; the file is unchanged.
        """
        relative = self.find(name).filename
        with self._file_lock(relative):
            current = self.read(relative)  # again, under the lock: it may be gone now
            new_name = new_name if new_name is not None else current.name
            parsed_type = validate_fields(
                name=new_name,
                description=description if description is not None else current.description,
                type=type if type is not None else (current.type or current.raw_type or ""),
                path=current.path,
            )
            text = render(
                name=new_name,
                description=description if description is not None else current.description,
                type=parsed_type,
                body=body if body is not None else current.body,
                extra={**current.extra, "updated": date.today()},
            )
            refuse_invalid(text, path=current.path)
            previous = self._old_header(current.path, relative)
            self._commit(relative, text, create_only=False, previous=previous)
            saved = self.read(relative)
        return SaveResult(saved, tuple(m for _r, m in derivable_content(body or "")))

    @recorded
    def write_text(
        self,
        relative: str,
        text: str,
        *,
        create_only: bool = False,
        stamp: bool = True,
        actor: Actor | str | None = None,
    ) -> MemoryHeader:
        """Write a whole memory file as given, after validation, with ``updated:`` set to
        today; used by editors and tools. `stamp=False` keeps the text's own ``updated:``
        (consolidation rewrites a memory without making it new).

        Raises:
            InvalidMemoryError: the text lacks valid frontmatter in the taxonomy.
            SecretDetectedError: the text looks like it holds a credential.
            MemoryExistsError: `create_only` and the file exists.
        """
        target = self._entry(relative)
        text = text.replace("\r\n", "\n")
        if stamp:
            text = set_updated(text, date.today())
        refuse_invalid(text, path=target)
        with self._file_lock(relative):
            previous = None if create_only else self._old_header(target, relative)
            return self._commit(relative, text, create_only=create_only, previous=previous)

    @recorded
    def modify(
        self, relative: str, change: Callable[[str], str], *, actor: Actor | str | None = None
    ) -> MemoryHeader:
        """Read-modify-write one memory file under its lock (the memory tool's edits).

        `change` gets the current text and returns the new one (or raises to refuse).

        Raises:
            MemoryNotFoundError: the file does not exist (or was deleted meanwhile).
            InvalidMemoryError, SecretDetectedError: the new text is refused.
        """
        target = self._entry(relative)
        with self._file_lock(relative):
            new = set_updated(change(self.read_text(relative)), date.today())
            refuse_invalid(new, path=target)
            previous = self._old_header(target, relative)
            return self._commit(relative, new, create_only=False, previous=previous)

    @recorded
    def rename(self, old: str, new: str, *, actor: Actor | str | None = None) -> MemoryHeader:
        """Move a memory file to a new name inside the folder; the index follows.

        Raises:
            MemoryNotFoundError: `old` does not exist.
            MemoryExistsError: `new` exists.
            InvalidMemoryError: the file is not a valid memory (it must be, to be moved).
        """
        self._entry(old)
        self._entry(new)
        first, second = sorted((old, new), key=str.lower)
        with self._file_lock(first), self._file_lock(second):
            text = refuse_invalid(self.read_text(old), path=self._entry(old))
            del text
            header = self._commit(new, self.read_text(old), create_only=True, previous=None)
            self._remove(old)
        return header

    @recorded
    def delete(self, name: str, *, actor: Actor | str | None = None) -> Path:
        """Remove a memory file, whatever it holds, and its index line; returns its path.

        Works on every file lint names: broken frontmatter, binary, too big, a FIFO, a
        symbolic link (the link itself is removed, never its target).

        Raises:
            MemoryNotFoundError: no such memory, or it was deleted meanwhile.
        """
        return self.remove_file(self.locate(name))

    @recorded
    def remove_file(self, relative: str, *, actor: Actor | str | None = None) -> Path:
        """`delete` by relative file name (the memory tool's delete).

        Raises:
            MemoryNotFoundError: the file does not exist (any more).
        """
        self._entry_for_delete(relative)
        with self._file_lock(relative):
            return self._remove(relative)

    def _remove(self, relative: str) -> Path:
        """Unlink one entry (its file lock held) and drop its index line: the one delete."""
        path = self.entry_path(relative)
        try:
            path.unlink()
        except FileNotFoundError as exc:
            raise MemoryNotFoundError(
                "the memory was deleted meanwhile (by another process)", path=path
            ) from exc
        except OSError as exc:
            raise StoreIOError(f"cannot delete: {exc.strerror}", path=path) from exc
        self._notify(path)
        self._index_after({relative: None})
        return path


def _exists(relative: str, target: Path) -> MemoryExistsError:
    return MemoryExistsError(
        f"a memory already uses this file; pick another name or edit it "
        f"(`memory edit {relative[:-3]}`)",
        path=target,
        field="name",
    )
