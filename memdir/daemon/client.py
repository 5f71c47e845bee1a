"""Asking a running `memory watch` daemon to do the work, over its local socket.

This module sits on the hook's fast path, so it imports only the standard library (and
`memdir.paths`, which does too). Every function returns None when no daemon answers in
time: the caller then does the work itself, and gets the same answer.

Protocol: the client sends one JSON object on one line; the daemon answers with one
JSON object on one line and closes the connection. Requests are ``{"op": "ping"}``,
``{"op": "stats"}``, ``{"op": "extract", "transcript", "session_id", "wait_for_text"}``
and ``{"op": "recall", "query", "session_id", "tools", "offline",
"project_root"[, "mark_surfaced"]}``; answers carry ``"ok": true`` or ``"ok": false,
"error": "..."``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..paths import folder_key
from ..paths import state_dir as default_state_dir

#: AF_UNIX paths are limited to 104 (macOS) or 108 (Linux) bytes including the NUL.
_MAX_SOCKET_PATH = 100
#: A single answer is a handful of memories capped at 4 KB each; anything bigger is wrong.
_MAX_ANSWER_BYTES = 4 * 1024 * 1024
PROTOCOL_VERSION = 1


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
    digest = hashlib.sha256(seed).hexdigest()[:24]
    return short_socket_dir() / f"{digest}.sock"


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
    deadline = time.monotonic() + connect_timeout + timeout
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
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
    connect_timeout: float = 0.01,
    timeout: float = 5.0,
) -> dict[str, Any] | None:
    """Recall through the daemon watching `memory_dir`.

    Returns ``{"result": RecallResult.to_json(), "rendered": RecallResult.render(),
    "detail": {...}}``, or None when no daemon answers within `connect_timeout` (or it
    fails): the caller then runs the recall itself. With `mark_surfaced` False the
    daemon does not record the memories as seen by the session (as `Recaller.recall`).
    """
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
    answer = request(
        socket_path(memory_dir, state_dir=state_dir),
        payload,
        connect_timeout=connect_timeout,
        timeout=timeout,
    )
    if answer is None or answer.get("ok") is not True:
        return None
    if not isinstance(answer.get("result"), dict) or not isinstance(answer.get("rendered"), str):
        return None
    return {k: v for k, v in answer.items() if k != "ok"}


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
    answer = request(
        socket_path(memory_dir, state_dir=state_dir),
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


def result_from_answer(answer: dict[str, Any]) -> Any:
    """Rebuild a `memdir.recall.recaller.RecallResult` from a `daemon_recall` answer.

    For callers that format the result themselves (the CLI's human output). The fields
    `to_json` leaves out (why, skipped, timings) travel in the answer's ``detail``.
    """
    from ..recall.recaller import RecalledMemory, RecallResult
    from ..types import MemoryHeader, MemoryType

    data = answer["result"]
    detail = answer.get("detail") or {}
    why = detail.get("why") or {}
    memories = []
    for item in data.get("memories", []):
        header = MemoryHeader(
            path=Path(item["path"]),
            filename=item["filename"],
            name=item["name"],
            description=item["description"],
            type=MemoryType.parse(item.get("type")),
            raw_type=item.get("type"),
            mtime=0.0,
            size=0,
        )
        memories.append(
            RecalledMemory(
                header=header,
                age_days=item["age_days"],
                freshness=item["freshness"],
                content=item["content"],
                truncated=item["truncated"],
                why=why.get(item["filename"], ""),
                references=tuple(WireReference.from_json(r) for r in item.get("references", [])),
            )
        )
    return RecallResult(
        query=detail.get("query", ""),
        selector=data["selector"],
        fallback_reason=data.get("fallback_reason"),
        memories=tuple(memories),
        skipped=detail.get("skipped"),
        timings=dict(detail.get("timings") or {}),
    )


class WireReference:
    """A checked reference as it arrived over the socket (text, kind, status, hint)."""

    __slots__ = ("_data", "hint", "kind", "status", "text")

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = dict(data)
        self.text = str(data.get("text", ""))
        self.kind = str(data.get("kind", ""))
        self.status = str(data.get("status", ""))
        hint = data.get("hint")
        self.hint = str(hint) if hint is not None else None

    @classmethod
    def from_json(cls, data: Any) -> WireReference:
        return cls(data if isinstance(data, dict) else {"text": str(data)})

    def to_json(self) -> dict[str, Any]:
        return dict(self._data)
