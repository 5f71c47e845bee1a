"""The shape of every command's ``--json`` output, in one place.

`RECORDS` are the record types (a memory, a recall result, a lint problem, a history
operation ...), `COMMANDS` what each command prints, built from them. The README's "JSON
output" section is written from these (``make reference``, `render`), and
``tests/cli/test_json_everywhere.py`` runs every command that has ``--json`` and checks
what it prints with `problems`: a command with ``--json`` and no shape here fails it.

A shape is: a type (`str`, `int`, `float`, `bool`, `object` for anything); a dict of
key -> shape (those keys must be there; more may follow); a one-item list (a list of
that); `Ref` (a record by name); `Opt` (that, or null); `OneOf` (any of those); `Map`
(an object whose keys are data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Ref:
    """The record of that name (`RECORDS`)."""

    name: str


@dataclass(frozen=True, slots=True)
class Opt:
    """`shape`, or null."""

    shape: Any


@dataclass(frozen=True, slots=True)
class OneOf:
    """Any one of `shapes` (a command whose options change what it prints)."""

    shapes: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """One of these texts."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Map:
    """An object whose keys are data (file names, counter names), each value `shape`."""

    shape: Any


_MEMORY = {
    "filename": str,
    "path": str,
    "name": str,
    "description": str,
    "type": Opt(Choice(("user", "feedback", "project", "reference"))),
    "age_days": int,
    "source": Choice(("private", "team")),
}
_OPERATION = {
    "id": str,
    "time": str,
    "actor": str,
    "actor_detail": Opt(str),
    "files": [str],
    "summary": str,
    "skipped": [object],
    "renames": [object],
    "undoes": Opt(str),
}
_HELD = {"path": str, "reason": str}

#: Record name -> its keys. Each record has this one shape wherever it appears.
RECORDS: dict[str, dict[str, Any]] = {
    "memory": _MEMORY,
    "recalled memory": {
        **_MEMORY,
        "author": Opt(str),
        "freshness": Opt(str),
        "content": str,
        "truncated": bool,
        "references": [{"text": str, "kind": str, "status": str, "hint": Opt(str)}],
        "low_confidence": bool,
        "why": Opt(str),
        "score": Opt(float),
        "matched": [str],
        "raw_type": Opt(str),
        "updated": Opt(str),
        "mtime": float,
        "size": int,
    },
    "recall result": {
        "query": str,
        "selector": Choice(("llm", "offline")),
        "fallback_reason": Opt(str),
        "skipped": Opt(str),
        "memories": [Ref("recalled memory")],
    },
    "search hit": {
        "filename": str,
        "path": str,
        "type": Opt(str),
        "name": str,
        "description": str,
        "age_days": int,
        "score": float,
        "matched": [str],
        "stale": [object],
    },
    "lint problem": {
        "file": str,
        "rule": str,
        "severity": Choice(("error", "warning")),
        "field": Opt(str),
        "message": str,
    },
    "history operation": _OPERATION,
    "doctor check": {
        "name": str,
        "status": Choice(("ok", "warn", "fail")),
        "detail": str,
        "fix": Opt(str),
    },
    "extraction run": {
        "session_id": str,
        "status": str,
        "written": [{"action": str, "path": str}],
        "turns": int,
        "messages": int,
        "reason": Opt(str),
        "trailing": bool,
    },
    "dream run": {
        "run": str,
        "status": str,
        "trigger": str,
        "mode": str,
        "passes": [str],
        "started": float,
        "finished": float,
        "plan": {"entries": [{"file": str, "action": str}], "counts": Map(int)},
        "guard": Opt({"ok": bool, "retired": [str], "limit": int, "problems": [str]}),
        "recall_gate": Opt({"replayed": int, "judged": int, "unreachable": [object]}),
        "report": [object],
        "flagged": Map(str),
        "message": str,
    },
    "error": {"error": str, "path": Opt(str), "field": Opt(str), "exit_code": int},
}

_INSTALL = {
    "scope": str,
    "path": str,
    "changed": bool,
    "dry_run": bool,
    "events": [str],
    "removed_file": bool,
    "backup": Opt(str),
    "diff": Opt(str),
}

#: Command path -> what ``--json`` prints when the command succeeds. A refused request
#: prints the ``error`` record instead (any command).
COMMANDS: dict[str, Any] = {
    "memory where": {"path": str, "reason": str},
    "memory list": {
        "memories": [Ref("memory")],
        "problems": [{"file": str, "field": Opt(str), "message": str}],
    },
    "memory show": {**_MEMORY, "extra": Map(object), "body": str},
    "memory add": {"saved": Ref("memory"), "warnings": [str]},
    "memory forget": {"deleted": [Ref("memory")], "undo": str},
    "memory index": OneOf(
        (
            {"added": [str], "removed": [str], "rewritten": [str]},
            {"problems": [{"rule": str, "message": str}]},
        )
    ),
    "memory prompt": {
        "memory_dir": str,
        "prompt": str,
        "index": {"lines": int, "bytes": int, "truncated_by": Opt(str)},
    },
    "memory recall": Ref("recall result"),
    "memory search": [Ref("search hit")],
    "memory stats": {
        "memory_dir": str,
        "memories": int,
        "unreadable_files": int,
        "state_dir": str,
        "breaker": str,
        "counters": Map(object),
    },
    "memory lint": {"problems": [Ref("lint problem")]},
    "memory doctor": {"checks": [Ref("doctor check")]},
    "memory extract": OneOf(
        (
            {
                "queued": bool,
                "session_id": str,
                "by": Opt(str),
                "log": Opt(str),
                "reason": Opt(str),
            },
            {"queued": bool, "runs": [Ref("extraction run")], "requested_at": float},
        )
    ),
    "memory watch": [
        {"folder": str, "state": str, "pid": Opt(int), "log": str, "status": Map(object)}
    ],
    "memory install claude-code": _INSTALL,
    "memory uninstall claude-code": _INSTALL,
    "memory log": OneOf(
        (
            {
                "path": str,
                "operations": [Ref("history operation")],
                "skipped": [{"file": str, "reason": str}],
            },
            {"path": str, "enabled": bool, "why_off": Opt(str)},
        )
    ),
    "memory undo": Ref("history operation"),
    "memory restore": Ref("history operation"),
    "memory history prune": {"squashed": int, "before": str},
    "memory dream": OneOf(
        (
            Ref("dream run"),
            {
                "folder": str,
                "last_consolidated": Opt(float),
                "last_run": Opt(Map(object)),
                "next": {"due": bool, "sessions": int, "sessions_needed": int},
                "lock": Opt(Map(object)),
                "archive": str,
            },
        )
    ),
    "memory team init": {"root": str, "remote": Opt(str), "created": bool, "memories": int},
    "memory team status": {
        "mode": str,
        "root": Opt(str),
        "remote": Opt(str),
        "branch": Opt(str),
        "last_sync": Opt(str),
        "last_error": Opt(str),
        "local_changes": [str],
        "unpushed_commits": int,
        "incoming_commits": int,
        "incoming_files": [str],
        "held_back": [_HELD],
        "conflict_copies": [str],
        "config_problem": Opt(str),
    },
    "memory team sync": {
        "remote": str,
        "committed": [str],
        "received": [str],
        "merged": [str],
        "conflicts": [{"file": str, "copy": str}],
        "kept_edits": [str],
        "held_back": [_HELD],
        "pushed": bool,
        "attempts": int,
        "retried": [str],
    },
}


# -- checking ----------------------------------------------------------------------------


def problems(data: Any, shape: Any, where: str = "$") -> list[str]:
    """How `data` differs from `shape`, one line per difference ([] when it fits)."""
    if isinstance(shape, Ref):
        return problems(data, RECORDS[shape.name], where)
    if isinstance(shape, Opt):
        return [] if data is None else problems(data, shape.shape, where)
    if isinstance(shape, OneOf):
        found = [problems(data, option, where) for option in shape.shapes]
        if any(not p for p in found):
            return []
        return [f"{where}: fits none of its shapes: " + " | ".join("; ".join(p) for p in found)]
    if isinstance(shape, Choice):
        if data in shape.values:
            return []
        return [f"{where}: one of {', '.join(shape.values)} expected, got {data!r:.60}"]
    if isinstance(shape, Map):
        if not isinstance(data, dict):
            return [f"{where}: an object was expected, got {type(data).__name__}"]
        return [p for k, v in data.items() for p in problems(v, shape.shape, f"{where}.{k}")]
    if isinstance(shape, dict):
        if not isinstance(data, dict):
            return [f"{where}: an object was expected, got {type(data).__name__}"]
        out = [f"{where}: key {k!r} is missing" for k in shape if k not in data]
        for key, value in shape.items():
            if key in data:
                out += problems(data[key], value, f"{where}.{key}")
        return out
    if isinstance(shape, list):
        if not isinstance(data, list):
            return [f"{where}: a list was expected, got {type(data).__name__}"]
        return [p for i, item in enumerate(data) for p in problems(item, shape[0], f"{where}[{i}]")]
    return [] if _is(data, shape) else [f"{where}: {_word(shape)} expected, got {data!r:.60}"]


def _is(value: Any, kind: type) -> bool:
    if kind is object:
        return True
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


# -- the README ----------------------------------------------------------------------------

START = "<!-- json-shapes: start (make reference writes this part) -->"
END = "<!-- json-shapes: end -->"

_WORDS = {str: "text", int: "integer", float: "number", bool: "true/false", object: "any"}


def _word(kind: Any) -> str:
    return _WORDS.get(kind, getattr(kind, "__name__", str(kind)))


def _simple(shape: Any) -> bool:
    return isinstance(shape, type) or (isinstance(shape, Opt) and _simple(shape.shape))


def _values(shape: Any) -> str:
    """`` (`a`, `b`)`` for a `Choice` (`` (`a`, `b`, null)`` for an optional one), else ''."""
    if isinstance(shape, Opt) and isinstance(shape.shape, Choice):
        return _values(shape.shape)[:-1] + ", null)"
    if isinstance(shape, Choice):
        return " (" + ", ".join(f"`{v}`" for v in shape.values) + ")"
    return ""


def describe(shape: Any) -> str:
    """`shape` in a line: objects as their keys (nested ones spelled out), records by name."""
    if isinstance(shape, Ref):
        return shape.name
    if isinstance(shape, Opt):
        return f"{describe(shape.shape)} or null"
    if isinstance(shape, OneOf):
        return " or ".join(describe(s) for s in shape.shapes)
    if isinstance(shape, Choice):
        return " or ".join(f'"{v}"' for v in shape.values)
    if isinstance(shape, Map):
        return "{name: " + describe(shape.shape) + "}"
    if isinstance(shape, list):
        return f"[{describe(shape[0])}, ...]"
    if isinstance(shape, dict):
        parts = [f'"{k}"' if _simple(v) else f'"{k}": {describe(v)}' for k, v in shape.items()]
        return "{" + ", ".join(parts) + "}"
    return _word(shape)


def _keys(record: Mapping[str, Any]) -> str:
    return ", ".join(
        f"`{k}`{_values(v)}" if _simple(v) or _values(v) else f"`{k}` ({describe(v)})"
        for k, v in record.items()
    )


def render(commands: Sequence[str] | None = None) -> str:
    """The README's part: a table of records, then one line per command."""
    lines = [START, "", "| record | keys |", "|---|---|"]
    lines += [f"| {name} | {_keys(keys)} |" for name, keys in RECORDS.items()]
    lines += ["", "| command | `--json` prints |", "|---|---|"]
    for path in commands if commands is not None else sorted(COMMANDS):
        lines.append(f"| `{path}` | {describe(COMMANDS[path])} |")
    lines += ["", END]
    return "\n".join(lines)


def section(readme: str) -> str:
    """The shapes part of a README (markers included), or '' when it has none."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < 0:
        return ""
    return readme[start : end + len(END)]
