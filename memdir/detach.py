"""Starting one of memdir's own modules (``python -m memdir.<x>``) as a detached process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import IO


def spawn_module(module: str, *args: str, state: Path, log: Path | None, label: str) -> None:
    """Run ``python -m <module> <args>`` in its own session and return at once.

    The process outlives the caller (stdin closed), uses the state folder `state`, and
    appends its output to `log` (whose folder is made), or discards it when `log` is
    None. `label` names the shell that starts it, in process lists.
    """
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
