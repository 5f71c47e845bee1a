"""The daemon's socket: where it lives, and one request over it.

On the hook's fast path, so the standard library only (and `memdir.paths`): never
``socket`` (the C core `_socket` does, imported only when a request is made) or
``hashlib``.

Protocol: the client sends one JSON object on one line; the daemon answers with one
JSON object on one line and closes the connection. Requests are ``{"op": "ping"}``,
``{"op": "stats"}``, ``{"op": "extract", "transcript", "session_id", "wait_for_text"}``
and ``{"op": "recall", "query", "session_id", "tools", "offline",
"project_root"[, "mark_surfaced"][, "limit"]}``; answers carry ``"ok": true`` (a recall's answer
``"result"`` is `RecallResult.to_json`) or ``"ok": false, "error": "..."``.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from ..paths import FOLDER_KEY_DIGITS, folder_key, folder_key_prefix, sha256_hex
from ..paths import state_dir as default_state_dir

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: AF_UNIX paths are limited to 104 (macOS) or 108 (Linux) bytes including the NUL.
_MAX_SOCKET_PATH = 100
#: A single answer is a handful of memories capped at 4 KB each; anything bigger is wrong.
_MAX_ANSWER_BYTES = 4 * 1024 * 1024
PROTOCOL_VERSION = 1
#: Characters of the folder's name that start a short socket name.
_SHORT_PREFIX = 12


def daemon_dir(state_dir: Path) -> Path:
    """The folder holding the daemons' pid, status, log and socket files."""
    return state_dir / "daemon"


def socket_path(memory_dir: Path, *, state_dir: Path | None = None) -> Path:
    """Where the daemon for `memory_dir` listens.

    Normally ``<state>/daemon/<folder key>.sock``. When that path is too long for a Unix
    socket (deep temporary folders), a short name under ``/tmp/memdir-<uid>/`` is used,
    derived from both the state folder and the memory folder so that two state folders
    never share a daemon.
    """
    state = state_dir if state_dir is not None else default_state_dir()
    key = folder_key(memory_dir)
    path = daemon_dir(state) / f"{key}.sock"
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    seed = f"{os.path.abspath(state)}\0{key}".encode()
    digest = sha256_hex(seed)[:24]
    # The folder's name starts the file name, so `live_socket` can rule it out unhashed.
    return short_socket_dir() / f"{folder_key_prefix(memory_dir)[:_SHORT_PREFIX]}{digest}.sock"


def short_socket_dir() -> Path:
    """``/tmp/memdir-<uid>``: the fallback folder for sockets whose path would be too long."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path("/tmp") / f"memdir-{uid}"


def private_folder(folder: Path) -> bool:
    """True if `folder` is a real directory owned by us that no one else can enter.

    A socket in a folder another user controls could be theirs, and a recall answer is
    text injected into an agent's context, so the client refuses to talk to it.
    """
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & 0o077


def request(
    path: Path,
    payload: dict[str, Any],
    *,
    connect_timeout: float = 0.01,
    timeout: float = 5.0,
) -> dict[str, Any] | None:
    """Send one request to the socket at `path`; the answer, or None on any failure."""
    if not private_folder(path.parent):
        return None
    # Trigger: every prompt's hook asks the daemon over this socket. Why: the `socket`
    # module (with selectors, select, array and math) costs ~2.5 ms of a ~10 ms hook,
    # and its C core `_socket` has all this needs (connect, sendall, recv, timeouts).
    # Outcome: the core only.
    import _socket

    deadline = time.monotonic() + connect_timeout + timeout
    try:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        sock.settimeout(connect_timeout)
        sock.connect(os.fspath(path))
        sock.settimeout(timeout)
        sock.sendall(json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n")
        chunks: list[bytes] = []
        received = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if chunk.endswith(b"\n") or received > _MAX_ANSWER_BYTES:
                break
        answer = json.loads(b"".join(chunks).decode("utf-8"))
    except (OSError, ValueError):
        # No socket, a stale socket (refused), a timeout, or a garbled answer: all mean
        # "no usable daemon", and the caller falls back to doing the work itself.
        return None
    finally:
        sock.close()
    return answer if isinstance(answer, dict) else None


def ping(
    memory_dir: Path, *, state_dir: Path | None = None, timeout: float = 0.5
) -> dict[str, Any] | None:
    """The daemon's ``ping`` answer (pid, folder), or None when none answers."""
    answer = request(
        socket_path(memory_dir, state_dir=state_dir),
        {"op": "ping"},
        connect_timeout=timeout,
        timeout=timeout,
    )
    return answer if answer is not None and answer.get("ok") is True else None


def daemon_stats(
    memory_dir: Path, *, state_dir: Path | None = None, timeout: float = 1.0
) -> dict[str, Any] | None:
    """The running daemon's status (the same object as its status file), or None."""
    answer = request(
        socket_path(memory_dir, state_dir=state_dir),
        {"op": "stats"},
        connect_timeout=timeout,
        timeout=timeout,
    )
    if answer is None or answer.get("ok") is not True:
        return None
    status = answer.get("status")
    return status if isinstance(status, dict) else None


def live_socket(memory_dir: Path, *, state_dir: Path | None = None) -> Path | None:
    """The socket of the daemon for `memory_dir` if its file exists, else None.

    Rules out "no daemon" by listing one folder, without hashing the folder's key.
    """
    state = state_dir if state_dir is not None else default_state_dir()
    folder = daemon_dir(state)
    prefix = folder_key_prefix(memory_dir)
    would_be = folder / f"{prefix}{'0' * FOLDER_KEY_DIGITS}.sock"
    if len(os.fsencode(would_be)) <= _MAX_SOCKET_PATH:
        look_in, start = folder, prefix
    else:
        look_in, start = short_socket_dir(), prefix[:_SHORT_PREFIX]
    try:
        names = os.listdir(look_in)
    except OSError:
        return None
    if not any(n.startswith(start) and n.endswith(".sock") for n in names):
        return None
    path = socket_path(memory_dir, state_dir=state)
    return path if os.path.exists(path) else None
