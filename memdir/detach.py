"""Work that outlives the caller: one of memdir's own modules (``python -m memdir.<x>``)
started as a detached process, or a function run in a detached copy of this one."""

from __future__ import annotations

import os
import sys

# `typing` and `subprocess` cost start-up time, and the recall path imports this module
# for `fork_detached`: their names are for the type checker, or imported where used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import IO, TypeVar

    T = TypeVar("T")
    R = TypeVar("R")


def _may_fork() -> bool:
    """True where a fork copies what it needs: not on Windows, and not while other
    threads run (a fork copies only the calling thread, whatever locks the others hold)."""
    threading = sys.modules.get("threading")
    return hasattr(os, "fork") and (threading is None or threading.active_count() == 1)


def map_forked(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    least: int = 400,
    meanwhile: Callable[[], object] | None = None,
) -> list[R]:
    """``[func(x) for x in items]``, the second half worked out by a forked copy of this
    process while this one does the first, when there are at least `least` items, two
    processors and forking is safe (see `fork_detached`). `meanwhile`, if given, is
    called here once this half is done, while the copy may still be working (and before
    anything else when nothing is forked).

    Trigger: the first recall of a large folder parses every file. Why: a second core
    halves the wait. Outcome: the copy sends its results back `marshal`-led (so they must
    be plain values); if it fails in any way, its half is worked out here.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if len(items) < least or (cores or 1) < 2 or not _may_fork():
        if meanwhile is not None:
            meanwhile()
        return [func(x) for x in items]
    import marshal

    half = len(items) // 2
    inlet, outlet = os.pipe()
    try:
        copy = os.fork()
    except OSError:
        os.close(inlet)
        os.close(outlet)
        if meanwhile is not None:
            meanwhile()
        return [func(x) for x in items]
    if not copy:
        code = 1
        try:
            os.close(inlet)
            data = memoryview(marshal.dumps([func(x) for x in items[half:]]))
            while data:
                data = data[os.write(outlet, data) :]
            code = 0
        except BaseException:  # noqa: BLE001 - the caller redoes this half
            pass
        os._exit(code)
    os.close(outlet)
    chunks: list[bytes] = []
    try:
        mine = [func(x) for x in items[:half]]
        if meanwhile is not None:
            meanwhile()
        while chunk := os.read(inlet, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(inlet)
        _, status = os.waitpid(copy, 0)
    if status == 0:
        try:
            theirs = marshal.loads(b"".join(chunks))
        except (EOFError, ValueError, TypeError):
            theirs = None
        if isinstance(theirs, list) and len(theirs) == len(items) - half:
            return mine + theirs
    return mine + [func(x) for x in items[half:]]


def fork_detached(work: Callable[[], object]) -> bool:
    """Run `work` in a detached copy of this process and return at once; False (and
    nothing run) where that is not safe.

    Trigger: a fresh process has an answer ready and only bookkeeping left (the first
    recall of a large folder, writing its index). Why: whoever runs it (a person, an
    agent's hook) waits for it to exit. Outcome: a grandchild in its own session, its
    standard streams on the null device (a caller reading our output sees it end when
    we exit), re-parented to init (no zombie left here), leaving by `os._exit` (no
    buffers flushed twice, no exit handlers run). Not on Windows, and not while other
    threads run (a fork copies only the calling thread, whatever locks the others hold).
    """
    if not _may_fork():
        return False
    try:
        middle = os.fork()
    except OSError:
        return False
    if middle:
        os.waitpid(middle, 0)  # it exits as soon as the grandchild is started
        return True
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        work()
    except BaseException:  # noqa: BLE001 - nobody is left to tell; the work is redone later
        pass
    os._exit(0)


def spawn_module(module: str, *args: str, state: Path, log: Path | None, label: str) -> None:
    """Run ``python -m <module> <args>`` in its own session and return at once.

    The process outlives the caller (stdin closed), uses the state folder `state`, and
    appends its output to `log` (whose folder is made), or discards it when `log` is
    None. `label` names the shell that starts it, in process lists.
    """
    import contextlib
    import subprocess

    command = [sys.executable, "-m", module, *args]
    env = {**os.environ, "MEMDIR_STATE_DIR": str(state)}
    if os.name == "posix":
        # A shell that backgrounds the real process and exits at once: we reap the shell
        # here, and the process is re-parented to init, so neither a zombie nor a
        # "subprocess still running" warning is left behind in a long-lived caller.
        command = ["/bin/sh", "-c", '"$@" &', label, *command]
    with contextlib.ExitStack() as stack:
        out: int | IO[bytes] = subprocess.DEVNULL
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = stack.enter_context(open(log, "ab"))
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    if os.name == "posix":
        child.wait()
    else:
        child.returncode = 0  # it outlives us on purpose
