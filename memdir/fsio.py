"""File-system primitives every write goes through: confinement, atomic writes, locks,
and the one reader of memdir's JSON state files."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .errors import LockTimeoutError, StoreIOError, UnsafePathError

# Not `from typing import ...`: a hook answered by the daemon never loads typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _plain_checks(root: Path, text: str) -> PurePosixPath:
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
    return pure


def confine(root: Path, relative: str | os.PathLike[str]) -> Path:
    """The absolute path for `relative` inside `root`, refusing anything that escapes.

    Refused: NUL bytes, absolute paths, ``..`` components, backslashes, and paths whose
    real location (after following symlinks, including a symlinked parent folder) is
    outside `root`.

    Raises:
        UnsafePathError: the path would leave the memory folder.
    """
    text = os.fspath(relative)
    pure = _plain_checks(root, text)
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


def confine_entry(root: Path, relative: str | os.PathLike[str]) -> Path:
    """The path of the entry `relative` names inside `root`, for acting on the entry itself.

    The last component is not resolved, and no folder on the way may be a symbolic link:
    a write, delete or rename acts on the name in the folder, never on whatever a link
    there points to (``mlink.md -> MEMORY.md`` must not reach the index).

    Raises:
        UnsafePathError: the path is refused by `confine`'s rules or passes through a
            linked folder.
    """
    text = os.fspath(relative)
    pure = _plain_checks(root, text)
    real_root = Path(os.path.realpath(root))
    parent = real_root.joinpath(*pure.parts[:-1])
    if Path(os.path.realpath(parent)) != parent:
        raise UnsafePathError(
            f"path {text!r} passes through a symbolic link; memdir acts only on plain files "
            "and folders",
            path=root,
            field="path",
        )
    return parent / pure.name


def is_inside(root: Path, candidate: Path) -> bool:
    """Whether `candidate` is `root` or below it, after resolving symlinks."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    try:
        return os.path.commonpath([real_root, real]) == real_root
    except ValueError:
        return False


#: Temporary files of `atomic_write`: hidden, the writer's pid, then a random part.
_TEMP = re.compile(r"^\.(?:(\d+)-)?[^/]*\.tmp$")
#: A temporary file is stale at once when its writer's pid is gone, and in any case once
#: it is this old: no write takes anywhere near this long.
STALE_TEMP_S = 3600.0


#: Open flags of a temporary file: created here and now, never through a planted link.
_TEMP_FLAGS = (
    os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _temp_file(folder: Path) -> tuple[int, str]:
    """A new hidden ``.<pid>-<random>.tmp`` file in `folder`, mode 0600: (fd, path).

    What `tempfile.mkstemp` does, without importing `tempfile` (with shutil and random
    it costs every hook several milliseconds of start-up).
    """
    for _ in range(100):
        name = os.path.join(folder, f".{os.getpid()}-{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, _TEMP_FLAGS, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {folder}")


def atomic_write(
    path: Path,
    data: str | bytes,
    *,
    mode: int = 0o644,
    durable: bool = True,
    exclusive: bool = False,
) -> None:
    """Write `data` to `path` so readers see the old or the new file, never half of one.

    A hidden, unpredictable temporary file (named with the writer's pid, see
    `stale_temp_files`) in the same folder is written, flushed to disk, then renamed over
    the target; the rename replaces a symbolic link at `path`, never writes through it.
    `durable=False` skips the fsync: for caches and counters, where losing the last
    update in a power cut is fine and an fsync on every recall is not (it can cost tens of
    milliseconds on a busy disk); ``MEMDIR_FSYNC=0`` skips it everywhere (throwaway folders
    and test runs: a ``kill -9`` still never tears a file, only a power cut could).
    `exclusive=True` creates the file only if the name is
    free: the temporary file is hard-linked to the target, which fails atomically when the
    name exists, so two creators can never both succeed.

    Raises:
        FileExistsError: `exclusive` and `path` exists (nothing was written).
        StoreIOError: the write failed; the old file, if any, is untouched.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temp_file(path.parent)
    except OSError as exc:
        raise StoreIOError(f"cannot create a temporary file: {exc.strerror}", path=path) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable and os.environ.get("MEMDIR_FSYNC") != "0":
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if exclusive:
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreIOError(f"cannot write: {exc.strerror or exc}", path=path) from exc


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object stored in `path`; None when the file is missing, unreadable, not
    JSON (or nested too deep to parse) or not an object.

    memdir's state files are advisory: a damaged one is as good as none, and the next
    write replaces it.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists; it is just not ours to signal
    return True


def stale_temp_files(folder: Path, *, now: float | None = None) -> list[Path]:
    """Temporary files of `atomic_write` in `folder` whose writer is gone.

    Trigger: a writer killed (``kill -9``, a power cut) between creating its temporary
    file and renaming it. Why: the file is hidden, so list and lint never showed it, yet
    ``git add -A`` picks it up. Outcome: a temporary file whose pid is dead, or any older
    than `STALE_TEMP_S`, is stale.
    """
    import time

    now = time.time() if now is None else now
    found: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        pid = int(match.group(1)) if match.group(1) else None
        if age > STALE_TEMP_S or (pid is not None and pid != os.getpid() and not _pid_alive(pid)):
            found.append(Path(entry.path))
    return found


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Remove the `stale_temp_files` of `folder`; returns those removed."""
    removed = []
    for path in stale_temp_files(folder):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


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
        # Short waits: writers hold a lock for milliseconds, and a long sleep would leave
        # the lock idle while several processes queue for it.
        delay = min(delay * 2, 0.005)
    try:
        yield
    finally:
        held.release()
