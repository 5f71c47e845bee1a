"""File-system primitives every write goes through: confinement, atomic writes, locks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .errors import LockTimeoutError, StoreIOError, UnsafePathError


def confine(root: Path, relative: str | os.PathLike[str]) -> Path:
    """The absolute path for `relative` inside `root`, refusing anything that escapes.

    Refused: NUL bytes, absolute paths, ``..`` components, backslashes, and paths whose
    real location (after following symlinks, including a symlinked parent folder) is
    outside `root`.

    Raises:
        UnsafePathError: the path would leave the memory folder.
    """
    text = os.fspath(relative)
    if "\x00" in text:
        raise UnsafePathError("path contains a NUL byte", path=root, field="path")
    if not text.strip():
        raise UnsafePathError("path is empty", path=root, field="path")
    if "\\" in text:
        raise UnsafePathError(f"path {text!r} contains a backslash", path=root, field="path")
    pure = PurePosixPath(text)
    if pure.is_absolute() or text.startswith("~"):
        raise UnsafePathError(
            f"path {text!r} is absolute; give a path inside the memory folder",
            path=root,
            field="path",
        )
    if any(part == ".." for part in pure.parts):
        raise UnsafePathError(f"path {text!r} climbs out with '..'", path=root, field="path")
    real_root = Path(os.path.realpath(root))
    target = real_root.joinpath(*pure.parts)
    real_target = Path(os.path.realpath(target))
    if real_target != real_root and real_root not in real_target.parents:
        raise UnsafePathError(
            f"path {text!r} leads outside the memory folder (through a symlink)",
            path=root,
            field="path",
        )
    return real_target


def is_inside(root: Path, candidate: Path) -> bool:
    """Whether `candidate` is `root` or below it, after resolving symlinks."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    try:
        return os.path.commonpath([real_root, real]) == real_root
    except ValueError:
        return False


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """Write `data` to `path` so readers see the old or the new file, never half of one.

    A hidden, unpredictable temporary file in the same folder is written, flushed to
    disk, then renamed over the target. `durable=False` skips the fsync: for caches and
    counters, where losing the last update in a power cut is fine and an fsync on every
    recall is not (it can cost tens of milliseconds on a busy disk).

    Raises:
        StoreIOError: the write failed; the old file, if any, is untouched.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError as exc:
        raise StoreIOError(f"cannot create a temporary file: {exc.strerror}", path=path) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreIOError(f"cannot write: {exc.strerror or exc}", path=path) from exc


class HeldLock:
    """An exclusive ``flock`` held on a lock file until `release` (or the process ends).

    The kernel drops the lock whenever its process exits, ``kill -9`` included, so a
    crash never leaves a stale lock behind.
    """

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    def release(self) -> None:
        """Give the lock up; safe to call twice."""
        import fcntl

        if self.fd < 0:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = -1


def try_lock(lock_path: Path) -> HeldLock | None:
    """The lock on `lock_path` (created if missing) if it is free right now, else None."""
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return HeldLock(fd, lock_path)


@contextlib.contextmanager
def file_lock(lock_path: Path, *, timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive inter-process lock on `lock_path` (created if missing).

    Uses ``flock`` (see `HeldLock`); it also costs no import on the hook path, where the
    `filelock` package took tens of milliseconds.

    Raises:
        LockTimeoutError: another process held the lock for longer than `timeout`.
    """
    import time

    deadline = time.monotonic() + timeout
    delay = 0.001
    while (held := try_lock(lock_path)) is None:
        if time.monotonic() >= deadline:
            raise LockTimeoutError(
                f"another process held this lock for over {timeout:.0f} s", path=lock_path
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    try:
        yield
    finally:
        held.release()
