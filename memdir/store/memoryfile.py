"""Reading and writing one memory file: frontmatter in, normalised fields out.

Frontmatter is parsed once, here, and every field is checked for its type: PyYAML turns
``description: no`` into ``False`` and ``updated: 2026-03-05`` into a date, so a field
is only accepted when it is what we expect, and otherwise reported with its name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InvalidMemoryError
from ..types import MemoryType
from .filetext import frontmatter_end
from .freshness import parse_updated
from .headfields import flat_meta, strip_controls
from .yamlblock import YamlBlockError, describe, load_block

#: Longest description we write; the selector reads only this line, so it must be short.
MAX_DESCRIPTION = 200
MAX_NAME = 100
CORE_KEYS = ("name", "description", "type")


@dataclass(frozen=True, slots=True)
class ParsedHead:
    """Frontmatter found at the top of a file, or why there is none."""

    meta: dict[str, Any]
    body: str
    error: str | None = None
    #: Set when the block is not valid YAML but every line is a readable ``key: value``.
    lenient: str | None = None


def split_frontmatter(text: str, *, max_lines: int | None = None) -> ParsedHead:
    """Split `text` into frontmatter and body.

    With `max_lines`, the closing ``---`` must appear within that many lines (a scan reads
    only the head of each file). A file without frontmatter gives empty `meta`.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return ParsedHead({}, text, None)
    limit = len(lines) if max_lines is None else min(len(lines), max_lines)
    end = frontmatter_end(lines, limit)
    if end is None:
        return ParsedHead({}, text, f"frontmatter does not close within {limit} lines")
    block = lines[1:end]
    body = "\n".join(lines[end + 1 :]).lstrip("\n")
    meta = flat_meta(block, lenient=False)
    if meta is None:
        try:
            loaded = load_block("\n".join(block))
        except YamlBlockError as exc:
            where = f" (line {exc.line + 2})" if exc.line is not None else ""
            problem = f"{exc.reason}{where}"
            if not exc.reason.startswith("frontmatter is not valid YAML"):
                return ParsedHead({}, body, problem)
            # Hand-written files often hold an unquoted colon in a description; reading is
            # lenient, so such a file still loads, and lint reports it.
            rough = flat_meta(block, lenient=True)
            if rough is not None:
                return ParsedHead(rough, body, None, lenient=problem)
            return ParsedHead({}, body, problem)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            return ParsedHead({}, body, "frontmatter is not a mapping of keys to values")
        meta = {k if isinstance(k, str) else describe(k): v for k, v in loaded.items()}
    return ParsedHead(meta, body, None)


def field_problem(meta: Mapping[str, Any], key: str) -> str | None:
    """Why `key` is not usable text, or None when it is fine."""
    if key not in meta or meta[key] is None:
        return "missing"
    value = meta[key]
    if not isinstance(value, str):
        shown = "yes/no" if isinstance(value, bool) else type(value).__name__
        return f"is {shown} ({describe(value)}), not text; quote it"
    if not value.strip():
        return "is empty"
    return None


def updated_field(meta: Mapping[str, Any]) -> date | None:
    """The frontmatter ``updated:`` date of `meta` (see `parse_updated`)."""
    return parse_updated(meta.get("updated"))


def raw_type_text(value: object) -> str | None:
    """The ``type:`` value as written, for messages: text as is, anything else described."""
    if value is None:
        return None
    return strip_controls(value) if isinstance(value, str) else describe(value)


_UPDATED_LINE = re.compile(r"^updated\s*:")


def set_updated(text: str, day: date) -> str:
    """`text` with its frontmatter ``updated:`` set to `day`; nothing else changes.

    The block is edited as text, not re-rendered, so a person's quoting, key order and
    comments survive. A text without a closed frontmatter block is returned unchanged
    (validation refuses it).
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return text
    stamp = f"updated: {day.isoformat()}"
    for i in range(1, end):
        if _UPDATED_LINE.match(lines[i]):
            # A value continued on indented lines goes with it.
            stop = i + 1
            while stop < end and lines[stop][:1] in (" ", "\t"):
                stop += 1
            return "\n".join([*lines[:i], stamp, *lines[stop:]])
    return "\n".join([*lines[:end], stamp, *lines[end:]])


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
    import yaml

    # Trigger: libyaml's emitter (CSafeDumper, python-frontmatter's default when present)
    # escapes characters past U+FFFF. Why: an emoji name became "\U0001F680 rocket" in
    # the file. Outcome: the pure-Python dumper, which writes them as they are.
    text = frontmatter.dumps(
        post, sort_keys=False, width=10_000, allow_unicode=True, Dumper=yaml.SafeDumper
    )
    return text.rstrip("\n") + "\n"
