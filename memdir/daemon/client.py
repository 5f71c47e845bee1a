"""The one place that decides "ask the daemon if one runs, else do it here".

`recall_json` (the CLI and the Claude Code hook: the result's JSON form, rendered as
it comes), `recall` (the library's records) and `queue_extraction` each ask a running
`memory watch` daemon over its local socket, and do the work in this process (importing
recall or extract only then) when none answers in time. Both ways give the same answer.

This module is on the hook's fast path, so it imports only the standard library (and
`memdir.paths`, which does too): never ``socket`` or ``hashlib`` (the C core `_socket`
and the builtin SHA-256 do), and `_socket` only when a socket file that may be the
folder's daemon exists.

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
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..paths import FOLDER_KEY_DIGITS, folder_key, folder_key_prefix, sha256_hex
from ..paths import state_dir as default_state_dir

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..extract.schedule import Scheduled
    from ..recall.result import RecallResult

#: AF_UNIX paths are limited to 104 (macOS) or 108 (Linux) bytes including the NUL.
_MAX_SOCKET_PATH = 100
#: A single answer is a handful of memories capped at 4 KB each; anything bigger is wrong.
_MAX_ANSWER_BYTES = 4 * 1024 * 1024
PROTOCOL_VERSION = 1
#: Characters of the folder's name that start a short socket name.
_SHORT_PREFIX = 12
#: The keys of `RecallResult.to_json` and of each memory in it (a test holds them equal):
#: an answer missing any is from a daemon of another version, and is not used.
RESULT_KEYS = frozenset({"selector", "fallback_reason", "memories", "query", "skipped"})
MEMORY_KEYS = frozenset(
    {
        "filename",
        "path",
        "source",
        "author",
        "type",
        "name",
        "description",
        "age_days",
        "freshness",
        "content",
        "truncated",
        "references",
        "low_confidence",
        "why",
        "score",
        "matched",
        "raw_type",
        "updated",
        "mtime",
        "size",
    }
)


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


def daemon_recall_json(
    memory_dir: Path,
    *,
    query: str,
    session_id: str | None = None,
    tools: Sequence[str] = (),
    offline: bool = False,
    project_root: Path | None = None,
    state_dir: Path | None = None,
    mark_surfaced: bool = True,
    limit: int | None = None,
    connect_timeout: float = 0.01,
    timeout: float = 5.0,
) -> dict[str, Any] | None:
    """Recall through the daemon watching `memory_dir`: its `RecallResult.to_json` dict,
    or None when none answers.

    None also when the daemon fails or answers something that is not a recall result:
    the caller then runs the recall itself. With `mark_surfaced` False the daemon does
    not record the memories as seen by the session (as `Recaller.recall`).
    """
    path = live_socket(memory_dir, state_dir=state_dir)
    if path is None:
        return None
    payload: dict[str, Any] = {
        "op": "recall",
        "query": query,
        "session_id": session_id,
        "tools": list(tools),
        "offline": offline,
        "project_root": os.fspath(project_root) if project_root is not None else None,
    }
    if not mark_surfaced:
        payload["mark_surfaced"] = False
    if limit is not None:
        payload["limit"] = limit
    answer = request(path, payload, connect_timeout=connect_timeout, timeout=timeout)
    if answer is None or answer.get("ok") is not True:
        return None
    result = answer.get("result")
    # A daemon of another version may answer another shape: do the work here then.
    return result if is_recall_result(result) else None


def daemon_recall(
    memory_dir: Path,
    *,
    query: str,
    session_id: str | None = None,
    tools: Sequence[str] = (),
    offline: bool = False,
    project_root: Path | None = None,
    state_dir: Path | None = None,
    mark_surfaced: bool = True,
    limit: int | None = None,
) -> RecallResult | None:
    """`daemon_recall_json` as records; None when no daemon answered usably."""
    result = daemon_recall_json(
        memory_dir,
        query=query,
        session_id=session_id,
        tools=tools,
        offline=offline,
        project_root=project_root,
        state_dir=state_dir,
        mark_surfaced=mark_surfaced,
        limit=limit,
    )
    if result is None:
        return None
    from ..recall.result import RecallResult

    try:
        return RecallResult.from_json(result)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # the right keys, values of another version: do the work here


def is_recall_result(data: object) -> bool:
    """True if `data` has the shape of `RecallResult.to_json` (every key, memories as a list
    of objects with every key), which is all the renderers and `from_json` rely on."""
    if not isinstance(data, Mapping) or not RESULT_KEYS <= data.keys():
        return False
    memories = data["memories"]
    return isinstance(memories, list) and all(
        isinstance(m, Mapping) and MEMORY_KEYS <= m.keys() for m in memories
    )


def recall_json(
    memory_dir: Path,
    query: str,
    *,
    state_dir: Path | None = None,
    session_id: str | None = None,
    tools: Sequence[str] = (),
    offline: bool = False,
    project_root: Path | None = None,
    mark_surfaced: bool = True,
    limit: int | None = None,
    use_daemon: bool = True,
) -> dict[str, Any]:
    """Recall for `query` as a `RecallResult.to_json` dict: by the folder's daemon when one
    answers, else in this process.

    `project_root` is what named files are checked against (see
    `memdir.paths.verification_root`); `mark_surfaced` and `limit` as in `Recaller.recall`.
    The CLI and the Claude Code hook render this dict as it is; `recall` makes records.

    Raises:
        ValueError: `limit` is below 1.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if use_daemon:
        result = daemon_recall_json(
            memory_dir,
            query=query,
            session_id=session_id,
            tools=tools,
            offline=offline,
            project_root=project_root,
            state_dir=state_dir,
            mark_surfaced=mark_surfaced,
            limit=limit,
        )
        if result is not None:
            return result
    # Imported only now: a daemon that answers saves this process all of it.
    from ..paths import state_dir as default_state_dir
    from ..recall.lean import recall_json as recall_here

    return recall_here(
        str(memory_dir),
        query,
        state_dir=str(state_dir if state_dir is not None else default_state_dir()),
        session_id=session_id,
        tools=tools,
        offline=offline,
        project_root=str(project_root) if project_root is not None else None,
        mark_surfaced=mark_surfaced,
        limit=limit,
    )


def recall(
    memory_dir: Path,
    query: str,
    *,
    state_dir: Path | None = None,
    session_id: str | None = None,
    tools: Sequence[str] = (),
    offline: bool = False,
    project_root: Path | None = None,
    mark_surfaced: bool = True,
    limit: int | None = None,
    use_daemon: bool = True,
) -> RecallResult:
    """`recall_json` as records: the library's `RecallResult`.

    Raises:
        ValueError: `limit` is below 1.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if use_daemon:
        answer = daemon_recall(
            memory_dir,
            query=query,
            session_id=session_id,
            tools=tools,
            offline=offline,
            project_root=project_root,
            state_dir=state_dir,
            mark_surfaced=mark_surfaced,
            limit=limit,
        )
        if answer is not None:
            return answer
    from ..recall.result import RecallResult

    return RecallResult.from_json(
        recall_json(
            memory_dir,
            query,
            state_dir=state_dir,
            session_id=session_id,
            tools=tools,
            offline=offline,
            project_root=project_root,
            mark_surfaced=mark_surfaced,
            limit=limit,
            use_daemon=False,
        )
    )


def daemon_extract(
    memory_dir: Path,
    *,
    transcript: Path,
    session_id: str,
    wait_for_text: str | None = None,
    state_dir: Path | None = None,
    connect_timeout: float = 0.01,
    timeout: float = 5.0,
) -> bool:
    """Hand an extraction to the daemon watching `memory_dir`; False when none took it."""
    path = live_socket(memory_dir, state_dir=state_dir)
    if path is None:
        return False
    answer = request(
        path,
        {
            "op": "extract",
            "transcript": os.fspath(transcript),
            "session_id": session_id,
            "wait_for_text": wait_for_text,
        },
        connect_timeout=connect_timeout,
        timeout=timeout,
    )
    return answer is not None and answer.get("ok") is True


def queue_extraction(
    memory_dir: Path,
    transcript: Path,
    *,
    session_id: str,
    wait_for_text: str | None = None,
    state_dir: Path | None = None,
    strict: bool = False,
) -> Scheduled:
    """Queue an extraction: in the folder's daemon when one takes it, else a detached process.

    A running daemon has the SDK loaded and the folder's caches warm; otherwise
    `memdir.extract.schedule_extraction` starts the background run, and queues nothing
    when no model is configured (the result says why). `strict` is for a transcript a
    person named (``memory extract``): the file is checked before anything else, and a
    missing model is an error.

    Raises:
        InvalidInputError: with `strict`, the transcript is missing or not a transcript.
        ConfigurationError: with `strict`, no model is configured.
    """
    from ..extract.schedule import Scheduled, schedule_extraction

    if strict:
        from ..extract.transcript import read_transcript_strict

        read_transcript_strict(transcript)
    if daemon_extract(
        memory_dir,
        transcript=transcript,
        session_id=session_id,
        wait_for_text=wait_for_text,
        state_dir=state_dir,
    ):
        return Scheduled(session_id, "daemon")
    scheduled = schedule_extraction(
        memory_dir,
        transcript,
        session_id=session_id,
        wait_for_text=wait_for_text,
        state_dir=state_dir,
    )
    if strict and scheduled.by is None:
        from ..errors import ConfigurationError

        raise ConfigurationError(scheduled.reason or "no model is configured")
    return scheduled
