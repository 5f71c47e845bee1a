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
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import HistoryError, OperationNotFoundError, UndoConflictError
from ..fsio import atomic_write, confine, file_lock
from ..paths import folder_key
from ..paths import state_dir as default_state_dir
from .reading import HistoryReader, _session
from .records import Actor, Operation, commit_message
from .repo import CommitInfo
from .snapshot import StatCache, blob_id, take
from .summary import INDEX_NAME, compare, summarize

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


class History(HistoryReader):
    """The recorded operations of one memory folder (see the module docstring)."""

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


def _collect_garbage(git_dir: Path) -> None:
    from dulwich.gc import garbage_collect
    from dulwich.repo import Repo as DulwichRepo

    with DulwichRepo(str(git_dir)) as repo:
        garbage_collect(repo, prune=True, grace_period=0)
