"""`History`: one memory folder's recorded operations, and undo / restore over them.

The history is a git repository in the state folder (``<state>/history/<key>.git``)
whose work tree is the memory folder, so the folder itself holds only memories. Every
recorded write runs under the folder's history lock:

1. whatever changed since the last operation is recorded first, as a ``hand-edit``;
2. the block runs (the actual write);
3. everything the block changed is recorded as ONE operation of its actor.

A record is objects first, then one atomic rename of the branch ref: a writer killed at
any point leaves the previous operation as the newest, and its leftover change is picked
up by step 1 of the next writer.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from ..errors import HistoryError, OperationNotFoundError, UndoConflictError
from ..fsio import atomic_write, confine, file_lock
from ..paths import folder_key
from ..paths import state_dir as default_state_dir
from .records import Actor, Operation, commit_message
from .repo import CommitInfo, Repo
from .snapshot import StatCache, blob_id, take
from .summary import INDEX_NAME, Change, compare, summarize

_OFF_VALUES = frozenset({"off", "0", "false", "no", "disabled"})
_LOCK_TIMEOUT = 60.0
# Which folders this thread is recording an operation for: a write method called from
# inside another (update -> save, an undo that re-syncs the index) joins the outer one.
_local = threading.local()


@dataclass(slots=True)
class Recording:
    """What an `History.operation` block produced: filled in when the block ends."""

    operation: Operation | None = None
    #: Set by an undo inside the block: the id of the operation it reverts.
    undoes: str | None = None


_H = TypeVar("_H", bound="History")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _session(method: Callable[Concatenate[_H, _P], _R]) -> Callable[Concatenate[_H, _P], _R]:
    """Run a public method inside one repository session (its files closed at the end)."""

    @functools.wraps(method)
    def wrapper(self: _H, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._repo.session():
            return method(self, *args, **kwargs)

    return wrapper


class History:
    """The recorded operations of one memory folder (see the module docstring)."""

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

    @classmethod
    def for_folder(
        cls,
        folder: Path,
        *,
        state_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> History:
        """The history of `folder`, kept in the state folder; off when ``MEMDIR_HISTORY=off``."""
        env = os.environ if env is None else env
        folder = Path(os.path.abspath(Path(folder).expanduser()))
        state = state_dir if state_dir is not None else default_state_dir(env)
        key = folder_key(folder)
        why_off = None
        if env.get("MEMDIR_HISTORY", "").strip().lower() in _OFF_VALUES:
            why_off = "turned off by MEMDIR_HISTORY=off"
        else:
            try:
                import dulwich  # noqa: F401
            except ImportError:
                why_off = "the dulwich package is not installed (pip install dulwich)"
        return cls(
            folder,
            state / "history" / f"{key}.git",
            state / "locks" / f"{key}.history.lock",
            why_off=why_off,
        )

    @property
    def enabled(self) -> bool:
        return self.why_off is None

    # -- recording -------------------------------------------------------------------

    @contextlib.contextmanager
    def operation(self, actor: Actor) -> Iterator[Recording]:
        """Run a block of writes as ONE recorded operation of `actor`.

        Hand edits made since the last operation are recorded first (as ``hand-edit``),
        then the block runs under the folder's history lock, then everything it changed
        is recorded with a summary generated from the diff. Nested calls in one thread
        join the outer operation. A no-op when history is off.

        Raises:
            LockTimeoutError: another writer held the history lock for too long.
            HistoryError: the history could not be written (the block's writes stand).
        """
        held: dict[str, Recording] = _local.__dict__.setdefault("held", {})
        key = str(self.path)
        if not self.enabled:
            yield Recording()
            return
        if key in held:
            yield held[key]
            return
        recording = Recording()
        with file_lock(self.lock_path, timeout=_LOCK_TIMEOUT), self._repo.session():
            held[key] = recording
            try:
                if actor.kind != "hand-edit":
                    # Otherwise the earlier edits and the block are one hand-edit batch.
                    self._record_locked(Actor("hand-edit"))
                try:
                    yield recording
                finally:
                    # Recorded even when the block failed half-way: what it did to the
                    # folder is real and must be undoable.
                    recording.operation = self._record_locked(actor, undoes=recording.undoes)
            finally:
                del held[key]

    def record(self, actor: Actor) -> Operation | None:
        """Record the folder's changes since the last operation now, as one operation."""
        if not self.enabled:
            return None
        held: dict[str, Recording] = _local.__dict__.setdefault("held", {})
        if str(self.path) in held:
            return None  # inside an operation: it records everything when it ends
        with file_lock(self.lock_path, timeout=_LOCK_TIMEOUT), self._repo.session():
            return self._record_locked(actor)

    def _record_locked(self, actor: Actor, *, undoes: str | None = None) -> Operation | None:
        try:
            return self._write_record(actor, undoes)
        except (HistoryError, OSError) as exc:
            if isinstance(exc, HistoryError):
                raise
            raise HistoryError(
                f"cannot record history: {exc}; MEMDIR_HISTORY=off writes without it",
                path=self.path,
            ) from exc

    def _write_record(self, actor: Actor, undoes: str | None) -> Operation | None:
        repo = self._repo
        if not repo.exists():
            repo.create()
        head = repo.head()
        known = self._head_files(head)
        cache = StatCache(self.path / "memdir-stat")
        snap, fresh = take(self.folder, cache, known)
        files = dict(snap.files)
        for path in snap.skipped:
            # A file that now holds a credential keeps its last clean version in the
            # record (if it had one): it is left out, not recorded as deleted.
            if path in known:
                files[path] = known[path]
        change = compare(known, files)
        cache.save()
        if not change:
            return None

        def read(path: str, side: str) -> bytes:
            sha = known[path] if side == "old" else files[path]
            return fresh[sha] if sha in fresh else repo.blob(sha)

        skipped = tuple(f"{path} ({reason})" for path, reason in sorted(snap.skipped.items()))
        message = commit_message(
            summarize(change, read),
            actor=actor,
            files=change.files,
            skipped=skipped,
            renames=change.renamed,
            undoes=undoes,
        )
        wanted = set(files.values())
        info = repo.write(
            files=files,
            new_blobs={sha: data for sha, data in fresh.items() if sha in wanted},
            parent=head,
            message=message,
            author=str(actor),
            when=int(time.time()),
        )
        repo.set_head(info.id)
        self._save_head_files(info.id, files)
        repo.maybe_pack()
        return info.operation()

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
        with contextlib.suppress(OSError):
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

    # -- undo and restore ------------------------------------------------------------

    @_session
    def undo(
        self, op_id: str | None = None, *, force: bool = False, actor: Actor | None = None
    ) -> Operation:
        """Revert one operation (default: the newest made by memdir) as a new operation.

        Undoing an undo re-applies the original change.

        Raises:
            UndoConflictError: a later operation touched the same files (unless `force`).
            OperationNotFoundError: no such operation, or nothing to undo.
        """
        self._require()
        with self.operation(actor or Actor.library()) as recording:
            target = self._commit(op_id) if op_id else self._newest_undoable()
            parent = self.parent_of(target)
            before, after = self.files_at(parent), self.files_at(target)
            change = compare(before, after)
            touched = [p for p in change.files if p != INDEX_NAME]
            if not force:
                self._refuse_if_touched_later(target, set(touched))
            for path in touched:
                self._put(path, before.get(path))
            index_restored = False
            if INDEX_NAME in change.files:
                current = self._current_id(INDEX_NAME)
                if current == after.get(INDEX_NAME):
                    self._put(INDEX_NAME, before.get(INDEX_NAME))
                    index_restored = True
            if not index_restored and touched and self.reindex is not None:
                self.reindex()
            recording.undoes = target.id
        if recording.operation is None:
            raise OperationNotFoundError(
                f"nothing to undo: the folder already matches the state before {target.id[:8]}",
                field="op",
            )
        return recording.operation

    def _newest_undoable(self) -> CommitInfo:
        for info in self._repo.walk():
            if info.operation().actor.kind != "hand-edit":
                return info
        raise OperationNotFoundError("no operation made by memdir to undo", path=self.folder)

    def _refuse_if_touched_later(self, target: CommitInfo, files: set[str]) -> None:
        for info in self._repo.walk():
            if info.id == target.id:
                return
            op = info.operation()
            overlap = sorted(files.intersection(op.files))
            if overlap:
                raise UndoConflictError(
                    f"operation {op.short_id} ({op.actor}, {op.summary}) changed "
                    f"{', '.join(overlap)} after {target.id[:8]}; undo that first, "
                    "or use --force to overwrite it",
                    field="op",
                )

    @_session
    def restore(self, name: str, *, at: str | None = None, actor: Actor | None = None) -> Operation:
        """Bring back a deleted or earlier version of a memory, as a new operation.

        Without `at`: a deleted memory comes back as it last was; an existing one goes
        back to its version before its latest change.

        Raises:
            OperationNotFoundError: the history has no such memory or version.
        """
        self._require()
        with self.operation(actor or Actor.library()) as recording:
            path = self.resolve_path(name)
            blob = self._version(path, at)
            self._put(path, blob)
            if self.reindex is not None:
                self.reindex()
        if recording.operation is None:
            raise OperationNotFoundError(
                f"{path} already holds that version; nothing to restore", field="name"
            )
        return recording.operation

    def _version(self, path: str, at: str | None) -> str:
        if at is not None:
            info = self.at(at)
            blob = self.files_at(info).get(path)
            if blob is None:
                raise OperationNotFoundError(
                    f"{path} did not exist after operation {info.id[:8]}", field="at"
                )
            return blob
        current = self._current_id(path)
        for info in self._repo.walk():
            if path not in info.operation().files:
                continue
            for candidate in (info, self.parent_of(info)):
                blob = self.files_at(candidate).get(path)
                if blob is not None and blob != current:
                    return blob
        raise OperationNotFoundError(f"the history holds no other version of {path}", field="name")

    def _current_id(self, path: str) -> str | None:
        try:
            return blob_id(confine(self.folder, path).read_bytes())
        except FileNotFoundError:
            return None

    def _put(self, path: str, blob: str | None) -> None:
        target = confine(self.folder, path)
        if blob is None:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            return
        atomic_write(target, self.content(blob))

    # -- maintenance -----------------------------------------------------------------

    @_session
    def prune(self, before: datetime, *, actor: Actor | None = None) -> int:
        """Squash every operation older than `before` into one; returns how many went.

        The only thing that ever rewrites history; later operations keep their content,
        time and actor but get new ids.
        """
        repo = self._require()
        with self.operation(actor or Actor.library()):
            chain = list(repo.walk()) if repo.exists() else []
            old = [info for info in chain if info.time < before]
            if len(old) < 2:
                return 0
            keep = [info for info in chain if info.time >= before]
            base = old[0]
            message = commit_message(
                f"squash {len(old)} operations before {before.date().isoformat()}",
                actor=actor or Actor.library(),
                files=tuple(sorted(self.files_at(base))),
            )
            root = repo.write(
                files=self.files_at(base),
                new_blobs={},
                parent="",
                message=message,
                author=str(actor or Actor.library()),
                when=int(base.time.timestamp()),
            )
            parent = root.id
            for info in reversed(keep):
                parent = repo.rewrite(info, parent=parent).id
            repo.set_head(parent)
            self._save_head_files(parent, self._head_files_uncached(parent))
            _collect_garbage(self.path)
        return len(old)

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


def _collect_garbage(git_dir: Path) -> None:
    from dulwich.gc import garbage_collect
    from dulwich.repo import Repo as DulwichRepo

    with DulwichRepo(str(git_dir)) as repo:
        garbage_collect(repo, prune=True, grace_period=0)


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
