"""The history's git repository, read and written in-process with dulwich.

Why dulwich and not the git command line: a recorded write needs a blob per changed
file, a tree, a commit and a ref update. With the CLI that is four or five processes per
write (tens of milliseconds each on a loaded machine); in-process it is a few
milliseconds, and it works on machines without a ``git`` executable (the numbers are in
BENCHMARKS.md, from benchmarks/bench_history.py). The repository is ordinary git: the
ref is written by us, atomically, under the folder's history lock, so a ``kill -9``
never leaves a ``.lock`` file that blocks the next writer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..errors import StoreIOError
from ..fsio import atomic_write
from .records import Operation, from_timestamp, parse_message

if TYPE_CHECKING:
    from dulwich.object_store import DiskObjectStore
    from dulwich.objects import ObjectID, ShaFile

_T = TypeVar("_T")
BRANCH = "refs/heads/main"
_EMAIL = b"memdir@localhost"
# Loose objects are packed once there are this many: 10,000 operations would otherwise
# leave ~30,000 small files (and their disk blocks) behind.
PACK_THRESHOLD = 2000


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """The parts of a commit the history reads."""

    id: str
    parent: str
    tree: str
    time: datetime
    message: str
    author: str

    def operation(self) -> Operation:
        return parse_message(self.id, self.parent, self.time, self.message, self.author)


def _oid(hex_id: str) -> ObjectID:
    from dulwich.objects import ObjectID

    return ObjectID(hex_id.encode("ascii"))


class Repo:
    """A git directory (no work tree of its own) holding one folder's history."""

    def __init__(self, git_dir: Path, work_tree: Path) -> None:
        self.git_dir = git_dir
        self.work_tree = work_tree
        self._store: DiskObjectStore | None = None
        self._depth = 0

    # -- set-up ----------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.git_dir / "HEAD").is_file()

    def create(self) -> None:
        """Lay out an empty repository whose configured work tree is the memory folder."""
        for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
            (self.git_dir / sub).mkdir(parents=True, exist_ok=True)
        config = (
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
            f"\tworktree = {self.work_tree}\n"
        )
        atomic_write(self.git_dir / "config", config)
        atomic_write(
            self.git_dir / "description", "memdir history of " + str(self.work_tree) + "\n"
        )
        # Everything memdir leaves out of the record, so `git status` agrees with it.
        atomic_write(self.git_dir / "info" / "exclude", ".*\n")
        atomic_write(self.git_dir / "HEAD", f"ref: {BRANCH}\n")

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Keep the object store open for a block; closed when the outermost block ends.

        dulwich keeps pack files open (mapped) until its store is closed: a store left to
        the garbage collector leaks them, which long-lived processes cannot afford.
        """
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._store is not None:
                self._store.close()
                self._store = None

    @property
    def store(self) -> DiskObjectStore:
        if self._store is None:
            from dulwich.object_store import DiskObjectStore

            self._store = DiskObjectStore(str(self.git_dir / "objects"))
        return self._store

    # -- refs ------------------------------------------------------------------------

    def head(self) -> str:
        """The newest commit id, or "" for an empty history."""
        ref = self.git_dir / BRANCH
        try:
            value = ref.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return self._packed_head()
        except OSError as exc:
            raise StoreIOError(f"cannot read the history: {exc.strerror}", path=ref) from exc
        return value if len(value) == 40 else ""

    def _packed_head(self) -> str:
        # `git gc` run by a person moves the ref into packed-refs.
        with contextlib.suppress(OSError):
            for line in (self.git_dir / "packed-refs").read_text().splitlines():
                sha, _, name = line.partition(" ")
                if name == BRANCH:
                    return sha
        return ""

    def set_head(self, commit_id: str) -> None:
        """Point the branch at `commit_id`: one atomic rename, the commit point of a record."""
        atomic_write(self.git_dir / BRANCH, commit_id + "\n")
        with contextlib.suppress(OSError):
            # A git that crashed mid-update leaves this behind; we hold the only lock.
            (self.git_dir / (BRANCH + ".lock")).unlink()

    # -- objects ---------------------------------------------------------------------

    def tree_files(self, tree_id: str) -> dict[str, str]:
        """Every file in a tree: relative path -> blob id."""
        if not tree_id:
            return {}
        from dulwich.object_store import iter_tree_contents

        found: dict[str, str] = {}
        for entry in iter_tree_contents(self.store, _oid(tree_id)):
            if entry.path is not None and entry.sha is not None:
                found[entry.path.decode("utf-8", "surrogateescape")] = entry.sha.decode("ascii")
        return found

    def blob(self, blob_id: str) -> bytes:
        obj = self.store[_oid(blob_id)]
        data: bytes = obj.as_raw_string()
        return data

    def commit(self, commit_id: str) -> CommitInfo:
        from dulwich.objects import Commit

        obj = self.store[_oid(commit_id)]
        assert isinstance(obj, Commit)
        return CommitInfo(
            id=commit_id,
            parent=obj.parents[0].decode("ascii") if obj.parents else "",
            tree=obj.tree.decode("ascii"),
            time=from_timestamp(obj.commit_time),
            message=obj.message.decode("utf-8", "replace"),
            author=obj.author.decode("utf-8", "replace").split(" <")[0],
        )

    def walk(self, start: str | None = None) -> Iterator[CommitInfo]:
        """Commits from `start` (default: the newest) back to the first."""
        current = self.head() if start is None else start
        while current:
            info = self.commit(current)
            yield info
            current = info.parent

    def write(
        self,
        *,
        files: dict[str, str],
        new_blobs: dict[str, bytes],
        parent: str,
        message: str,
        author: str,
        when: int,
    ) -> CommitInfo:
        """Store new blobs, the tree of `files` and a commit on `parent`; returns it.

        The branch is not moved: `set_head` does that once the caller is ready.
        """
        from dulwich.index import commit_tree
        from dulwich.objects import Blob, Commit

        store = self.store
        for data in new_blobs.values():
            blob = Blob.from_string(data)
            if not store.contains_loose(blob.id) and not store.contains_packed(blob.id):
                self._add(blob)
        entries = [
            (path.encode("utf-8", "surrogateescape"), _oid(sha), 0o100644)
            for path, sha in sorted(files.items())
        ]
        tree_id = self._retry_locked(lambda: commit_tree(store, entries))
        commit = Commit()
        commit.tree = tree_id
        commit.parents = [_oid(parent)] if parent else []
        # A name that is not UTF-8 (a file name on Linux can be any bytes) is stored as
        # its bytes, as git itself does; it reads back with U+FFFD in their place.
        who = author.encode("utf-8", "surrogateescape") + b" <" + _EMAIL + b">"
        commit.author = commit.committer = who
        commit.author_time = commit.commit_time = when
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = message.encode("utf-8", "surrogateescape")
        self._add(commit)
        return CommitInfo(
            id=commit.id.decode("ascii"),
            parent=parent,
            tree=tree_id.decode("ascii"),
            time=from_timestamp(when),
            # As `commit` reads it back, so a record and a later read agree.
            message=commit.message.decode("utf-8", "replace"),
            author=author.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        )

    def _add(self, obj: ShaFile) -> None:
        self._retry_locked(lambda: self.store.add_object(obj))

    def _retry_locked(self, write: Callable[[], _T]) -> _T:
        """Run `write`, clearing a loose object's stale ``.lock`` left by a killed writer.

        Trigger: a writer killed by ``kill -9`` while writing a loose object.
        Why: dulwich writes ``<object>.lock`` then renames it; the leftover makes the next
        write of that same object (the leftover change, recorded again) fail as locked.
        Outcome: we hold the folder's history lock, so no one else is writing: remove it.
        """
        from dulwich.file import FileLocked

        for _attempt in range(100):
            try:
                return write()
            except FileLocked as exc:
                with contextlib.suppress(OSError):
                    os.unlink(os.fsdecode(exc.lockfilename))
        return write()

    def rewrite(self, info: CommitInfo, *, parent: str) -> CommitInfo:
        """A copy of a commit on another parent (same tree, message, author and time)."""
        from dulwich.objects import Commit

        old = self.store[_oid(info.id)]
        assert isinstance(old, Commit)
        new = old.copy()
        assert isinstance(new, Commit)
        new.parents = [_oid(parent)] if parent else []
        self._add(new)
        return CommitInfo(
            id=new.id.decode("ascii"),
            parent=parent,
            tree=info.tree,
            time=info.time,
            message=info.message,
            author=info.author,
        )

    def maybe_pack(self) -> None:
        """Pack loose objects once there are many; best effort, never fails a record."""
        objects = self.git_dir / "objects"
        with contextlib.suppress(OSError):
            # Counting two-hex-digit fan-out folders is cheap; only count files when many.
            if sum(1 for entry in os.scandir(objects) if len(entry.name) == 2) < 200:
                return
            if self.store.count_loose_objects() >= PACK_THRESHOLD:
                self.store.pack_loose_objects()

    def size_on_disk(self) -> int:
        """Bytes used by the repository (objects, refs, caches)."""
        total = 0
        for folder, _dirs, names in os.walk(self.git_dir):
            for name in names:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(folder, name)).st_size
        return total
