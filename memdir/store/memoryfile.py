"""Reading and writing one memory file: frontmatter in, normalised fields out.

Frontmatter is parsed once, here, and every field is checked for its type: PyYAML turns
``description: no`` into ``False`` and ``updated: 2026-03-05`` into a date, so a field
is only accepted when it is what we expect, and otherwise reported with its name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidMemoryError
from ..types import MemoryType

#: Lines of a file a scan reads: the frontmatter must close within them.
HEADER_LINES = 30
#: Longest description we write; the selector reads only this line, so it must be short.
MAX_DESCRIPTION = 200
MAX_NAME = 100
CORE_KEYS = ("name", "description", "type")


def _yaml() -> Any:
    """PyYAML, imported on first use: most scans never need it (see `_flat_meta`)."""
    import yaml

    return yaml


# A value YAML would turn into something other than a string (bool, null, number, date,
# or anything with YAML syntax in it) sends the whole block to the real YAML parser.
_PLAIN_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:\s+(.*))?$")
_NOT_PLAIN = re.compile(
    r"""^(?:[-?:,\[\]{}#&*!|>'"%@`~]|$)|:\s|\s\#|:$|^(?:true|false|yes|no|on|off|null|y|n)$"""
    r"|^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$|^\d{4}-\d\d-\d\d|^0[xo]|^[-+]?\.(?:inf|nan)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParsedHead:
    """Frontmatter found at the top of a file, or why there is none."""

    meta: dict[str, Any]
    body: str
    error: str | None = None
    #: Set when the block is not valid YAML but every line is a readable ``key: value``.
    lenient: str | None = None


def _flat_meta(lines: list[str], *, lenient: bool) -> dict[str, Any] | None:
    """Read a flat block of ``key: value`` lines without YAML; None when that is not enough.

    Strict (the fast path of every scan): only plain values that YAML would read as the
    same text; anything else sends the block to YAML. Lenient (for blocks YAML rejects):
    every value is taken as raw text, quotes around it removed.
    """
    meta: dict[str, Any] = {}
    for line in lines:
        if not line.strip():
            continue
        match = _PLAIN_KEY.match(line)
        if match is None:
            return None
        value = (match.group(2) or "").strip()
        if lenient:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
        elif not value or _NOT_PLAIN.search(value):
            return None
        meta[match.group(1)] = value
    return meta


def split_frontmatter(text: str, *, max_lines: int | None = None) -> ParsedHead:
    """Split `text` into frontmatter and body.

    With `max_lines`, the closing ``---`` must appear within that many lines (a scan reads
    only the head of each file). A file without frontmatter gives empty `meta`.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return ParsedHead({}, text, None)
    limit = len(lines) if max_lines is None else min(len(lines), max_lines)
    end = next((i for i in range(1, limit) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return ParsedHead({}, text, f"frontmatter does not close within {limit} lines")
    block = lines[1:end]
    body = "\n".join(lines[end + 1 :]).lstrip("\n")
    meta = _flat_meta(block, lenient=False)
    if meta is None:
        yaml = _yaml()
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            loaded = yaml.load("\n".join(block), Loader=loader)  # noqa: S506 - safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark is not None else ""
            problem = f"frontmatter is not valid YAML{where}"
            # Hand-written files often hold an unquoted colon in a description; reading is
            # lenient, so such a file still loads, and lint reports it.
            rough = _flat_meta(block, lenient=True)
            if rough is not None:
                return ParsedHead(rough, body, None, lenient=problem)
            return ParsedHead({}, body, problem)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            return ParsedHead({}, body, "frontmatter is not a mapping of keys to values")
        meta = {str(k): v for k, v in loaded.items()}
    return ParsedHead(meta, body, None)


def text_field(meta: Mapping[str, Any], key: str) -> str | None:
    """A frontmatter value that must be text, or None when missing or of another type."""
    value = meta.get(key)
    if isinstance(value, str):
        return value.strip()
    return None


def field_problem(meta: Mapping[str, Any], key: str) -> str | None:
    """Why `key` is not usable text, or None when it is fine."""
    if key not in meta or meta[key] is None:
        return "missing"
    value = meta[key]
    if not isinstance(value, str):
        shown = "yes/no" if isinstance(value, bool) else type(value).__name__
        return f"is {shown} ({value!r}), not text; quote it"
    if not value.strip():
        return "is empty"
    return None


def updated_field(meta: Mapping[str, Any]) -> date | None:
    """The frontmatter ``updated:`` date, whatever form YAML gave it."""
    value = meta.get("updated")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def validate_fields(
    *, name: str, description: str, type: str | MemoryType, path: Path | None = None
) -> MemoryType:
    """Check the three core fields for writing; returns the parsed type.

    Raises:
        InvalidMemoryError: a field is missing, multi-line, too long, or the type is not
            one of the four.
    """
    parsed = MemoryType.parse(type)
    if parsed is None:
        raise InvalidMemoryError(
            f"invalid type {str(type)!r}; use one of: {', '.join(MemoryType.choices())}",
            path=path,
            field="type",
        )
    for key, value, limit in (
        ("name", name, MAX_NAME),
        ("description", description, MAX_DESCRIPTION),
    ):
        if not isinstance(value, str) or not value.strip():
            raise InvalidMemoryError(f"{key} must not be empty", path=path, field=key)
        if "\n" in value.strip() or "\r" in value:
            raise InvalidMemoryError(f"{key} must be a single line", path=path, field=key)
        if len(value.strip()) > limit:
            raise InvalidMemoryError(
                f"{key} is {len(value.strip())} characters; keep it under {limit}",
                path=path,
                field=key,
            )
    return parsed


def render(
    *, name: str, description: str, type: MemoryType, body: str, extra: Mapping[str, Any]
) -> str:
    """The text of a memory file: our three keys first, other keys kept as they were."""
    meta: dict[str, Any] = {"name": name.strip(), "description": description.strip()}
    meta["type"] = type.value
    for key, value in extra.items():
        if key not in CORE_KEYS:
            meta[key] = value
    import frontmatter  # writing only: reading needs just the head (see split_frontmatter)

    post = frontmatter.Post(body.strip("\n"))
    post.metadata.update(meta)  # not as keywords: a key may be called "content"
    return frontmatter.dumps(post, sort_keys=False, width=10_000).rstrip("\n") + "\n"
