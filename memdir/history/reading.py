"""Reading a memory folder's history: the log, one operation, a file as it was, diffs."""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from ..errors import HistoryError, OperationNotFoundError, StoreIOError
from ..fsio import atomic_write
from .records import Operation
from .repo import CommitInfo, Repo
from .snapshot import StatCache, take
from .summary import INDEX_NAME, Change, compare

_H = TypeVar("_H", bound="HistoryReader")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _session(method: Callable[Concatenate[_H, _P], _R]) -> Callable[Concatenate[_H, _P], _R]:
    """Run a public method inside one repository session (its files closed at the end)."""

    @functools.wraps(method)
    def wrapper(self: _H, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._repo.session():
            return method(self, *args, **kwargs)

    return wrapper


class HistoryReader:
    """The read side of `History`: everything that looks at recorded operations."""

    def __init__(
        self, folder: Path, git_dir: Path, lock_path: Path, *, why_off: str | None = None
    ) -> None:
        self.folder = folder
        self.path = git_dir
        self.lock_path = lock_path
        self.why_off = why_off
        #: Called (inside the operation) after undo/restore wrote files, to bring the
        #: index in line when its exact earlier bytes cannot simply be put back.
        self.reindex: Callable[[], object] | None = None
        self._repo = Repo(git_dir, folder)

    def __repr__(self) -> str:
        return f"History({str(self.folder)!r}, enabled={self.enabled})"

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    def _head_files(self, head: str) -> dict[str, str]:
        """The newest operation's files (path -> blob id), from a small cache when fresh."""
        if not head:
            return {}
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            cached_head, files = marshal.loads((self.path / "memdir-tree").read_bytes())
            if cached_head == head and isinstance(files, dict):
                return files
        files = self._repo.tree_files(self._repo.commit(head).tree)
        self._save_head_files(head, files)
        return files

    def _save_head_files(self, head: str, files: dict[str, str]) -> None:
        # Only a cache: a state folder that cannot take it costs a tree read next time.
        with contextlib.suppress(OSError, StoreIOError):
            atomic_write(self.path / "memdir-tree", marshal.dumps((head, files)), durable=False)

    # -- reading ---------------------------------------------------------------------

    def _require(self) -> Repo:
        if not self.enabled:
            raise HistoryError(f"history is off: {self.why_off}", path=self.folder)
        return self._repo

    @_session
    def log(
        self,
        *,
        name: str | None = None,
        limit: int | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[Operation]:
        """Operations newest first; `name` follows one file through renames and deletes."""
        repo = self._require()
        if not repo.exists():
            return []
        tracked = {self.resolve_path(name)} if name is not None else None
        found: list[Operation] = []
        for info in repo.walk():
            op = info.operation()
            if since is not None and op.time < since:
                break
            if tracked is not None:
                if not tracked.intersection(op.files):
                    continue
                tracked.update(old for old, new in op.renames if new in tracked)
            if actor is not None and actor not in (op.actor.kind, str(op.actor)):
                continue
            found.append(op)
            if limit is not None and len(found) >= limit:
                break
        return found

    @_session
    def get(self, ref: str | None = None) -> Operation:
        """One operation by id or unique id prefix (default: the newest).

        Raises:
            OperationNotFoundError: no operation has that id.
        """
        return self._commit(ref).operation()

    def _commit(self, ref: str | None) -> CommitInfo:
        repo = self._require()
        head = repo.head() if repo.exists() else ""
        if not head:
            raise OperationNotFoundError("the history is empty", path=self.folder)
        if ref is None:
            return repo.commit(head)
        wanted = ref.strip().lower()
        if len(wanted) < 4 or any(c not in "0123456789abcdef" for c in wanted):
            raise OperationNotFoundError(
                f"{ref!r} is not an operation id (`memory log` lists them)", field="op"
            )
        for info in repo.walk():
            if info.id.startswith(wanted):
                return info
        raise OperationNotFoundError(f"no operation {ref!r} in this history", field="op")

    @_session
    def at(self, when: str | datetime) -> CommitInfo:
        """The operation that was newest at `when`: an operation id, or a date/time.

        Raises:
            OperationNotFoundError: no such operation, or nothing recorded by then.
        """
        if isinstance(when, str):
            moment = parse_when(when)
            if moment is None:
                return self._commit(when)
            when = moment
        for info in self._require().walk():
            if info.time <= when:
                return info
        raise OperationNotFoundError(
            f"nothing was recorded by {when.isoformat()}", path=self.folder, field="at"
        )

    @_session
    def files_at(self, info: CommitInfo | None) -> dict[str, str]:
        """The folder's recorded files after an operation (path -> blob id)."""
        if info is None:
            return {}
        return self._repo.tree_files(info.tree)

    @_session
    def content(self, blob: str) -> bytes:
        return self._repo.blob(blob)

    @_session
    def parent_of(self, info: CommitInfo) -> CommitInfo | None:
        return self._repo.commit(info.parent) if info.parent else None

    @_session
    def change(self, ref: str | None = None) -> tuple[Operation, Change, dict[str, bytes]]:
        """An operation, what it changed, and the before/after bytes keyed "old:"/"new:"."""
        info = self._commit(ref)
        before = self.files_at(self.parent_of(info))
        after = self.files_at(info)
        change = compare(before, after)
        contents: dict[str, bytes] = {}
        for path in change.files:
            if path in before:
                contents["old:" + path] = self.content(before[path])
            if path in after:
                contents["new:" + path] = self.content(after[path])
        return info.operation(), change, contents

    @_session
    def diff(self, ref: str | None = None) -> str:
        """A unified diff of one operation (default: the newest)."""
        import difflib

        _op, change, contents = self.change(ref)
        renamed = dict(change.renamed)
        chunks: list[str] = []
        for path in change.files:
            if path in renamed.values():
                continue
            target = renamed.get(path, path)
            old = contents.get("old:" + path, b"").decode("utf-8", "replace")
            new = contents.get("new:" + target, b"").decode("utf-8", "replace")
            label_old = f"a/{path}" if "old:" + path in contents else "/dev/null"
            label_new = f"b/{target}" if "new:" + target in contents else "/dev/null"
            if old == new:
                chunks.append(f"rename {path} -> {target}\n")
                continue
            chunks.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=label_old,
                    tofile=label_new,
                )
            )
            if chunks and not chunks[-1].endswith("\n"):
                chunks[-1] += "\n"
        return "".join(chunks)

    @_session
    def skipped(self) -> dict[str, str]:
        """Files the history leaves out right now (relative path -> reason)."""
        if not self.enabled or not self.folder.is_dir():
            return {}
        known = self._head_files(self._repo.head()) if self._repo.exists() else {}
        cache = StatCache(self.path / "memdir-stat") if self.path.is_dir() else _NoCache()
        snap, _fresh = take(self.folder, cache, known)
        return dict(snap.skipped)

    @_session
    def all_paths(self) -> list[str]:
        """Every file path the history has seen, newest mention first."""
        seen: dict[str, None] = {}
        for info in self._require().walk():
            op = info.operation()
            for path in op.files:
                seen.setdefault(path, None)
        return list(seen)

    @_session
    def resolve_path(self, name: str, *also: str) -> str:
        """The recorded path a memory name refers to (file name, path, or stem).

        Raises:
            OperationNotFoundError: the history never held such a file.
        """
        wanted = [n.strip() for n in (name, *also) if n and n.strip()]
        paths = self.all_paths() if self._repo.exists() else []
        tests: tuple[Callable[[str, str], bool], ...] = (
            lambda p, n: p == n,
            lambda p, n: p == f"{n}.md",
            lambda p, n: Path(p).stem == n,
            lambda p, n: Path(p).stem.lower() == n.lower(),
        )
        for test in tests:
            for candidate in wanted:
                hits = [p for p in paths if test(p, candidate) and p != INDEX_NAME]
                if len(hits) == 1:
                    return hits[0]
                if len(hits) > 1:
                    raise OperationNotFoundError(
                        f"{name!r} matches several files in the history "
                        f"({', '.join(hits)}); give the file name",
                        field="name",
                    )
        raise OperationNotFoundError(
            f"the history has no memory named {name!r}", path=self.folder, field="name"
        )

    def _head_files_uncached(self, head: str) -> dict[str, str]:
        return self._repo.tree_files(self._repo.commit(head).tree)

    @_session
    def size_on_disk(self) -> int:
        """Bytes the history takes in the state folder."""
        return self._repo.size_on_disk() if self._repo.exists() else 0


class _NoCache(StatCache):
    def __init__(self) -> None:
        self.path = Path(os.devnull)
        self._entries = {}
        self._secret_ids = set()
        self._written_ns = 0
        self._dirty = False

    def save(self) -> None:
        return None


def parse_when(text: str, *, end_of_day: bool = True) -> datetime | None:
    """A date or date-time (ISO, local time when no zone), or None for anything else.

    A bare date means the end of that day (`--at`: "as it was on 2026-03-05") or, with
    `end_of_day=False`, its start (`--since`).
    """
    text = text.strip()
    if len(text) >= 4 and all(c in "0123456789abcdef" for c in text.lower()) and "-" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    if len(text) == 10 and end_of_day:
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment.astimezone(UTC)
