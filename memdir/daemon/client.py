"""The one place that decides "ask the daemon if one runs, else do it here".

`recall_json` (the CLI and the Claude Code hook: the result's JSON form, rendered as
it comes), `recall` (the library's records) and `queue_extraction` each ask a running
`memory watch` daemon over its local socket, and do the work in this process (importing
recall or extract only then) when none answers in time. Both ways give the same answer.

This module is on the hook's fast path, so it imports only the standard library (and
`memdir.paths`, which does too): never ``socket`` or ``hashlib`` (the C core `_socket`
and the builtin SHA-256 do), and `_socket` only when a socket file that may be the
folder's daemon exists.

The socket, its place and one request over it: `memdir.daemon.wire`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .wire import live_socket, request

# Not `from typing import ...`: typing costs every hook's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..extract.schedule import Scheduled
    from ..recall.result import RecallResult

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
