"""A memory's header fields from the top of its file, read without YAML or records.

Most frontmatter blocks are flat ``key: value`` lines (memdir writes them so): those are
read here with the standard library alone, fast enough for the first recall in a fresh
state folder, which reads every memory's header. What counts as a flat block, and the
defaults a header takes, are decided here once; `memoryfile.split_frontmatter` and
`scan.parse_header` (every other block, through YAML) use the same rules.
"""

from __future__ import annotations

import re
from datetime import date

from .filetext import frontmatter_end
from .freshness import parse_updated

# `typing` itself costs start-up time: its names are for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "HEADER_LINES",
    "HEAD_BYTES",
    "SNIPPET_CHARS",
    "default_name",
    "flat_meta",
    "header_fields",
    "strip_controls",
    "text_field",
]

#: Lines of a file a scan reads: the frontmatter must close within them.
HEADER_LINES = 30
#: Bytes read from each file: enough for 30 lines of frontmatter in practice.
HEAD_BYTES = 8192
#: Characters of the body a header keeps (the selector reads them).
SNIPPET_CHARS = 1000

# A value YAML would turn into something other than a string (bool, null, number, date,
# or anything with YAML syntax in it) sends the whole block to the real YAML parser.
# `_not_plain` decides it: its start (one anchored match), then a colon or a hash inside
# it, looked for only when the value holds one (a search tried at every position of
# every value cost a first recall more than reading the files).
_PLAIN_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:\s+(.*))?$")
_NOT_PLAIN_START = re.compile(
    r"""(?:[-?:,\[\]{}#&*!|>'"%@`~]|$)|(?:true|false|yes|no|on|off|null|y|n)$"""
    r"|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$|\d{4}-\d\d-\d\d|0[xo]|[-+]?\.(?:inf|nan)$",
    re.IGNORECASE,
)
_COLON_SPACE = re.compile(r":\s")
_SPACE_HASH = re.compile(r"\s\#")
_PLAIN_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
#: C0 and C1 control characters other than tab and newline: terminal escapes ride on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: (name, description, raw type text, ``updated:`` as an ISO date, body snippet).
Fields = tuple[str, str, "str | None", "str | None", str]


def flat_meta(lines: list[str], *, lenient: bool) -> dict[str, Any] | None:
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
        elif _PLAIN_DATE.match(value):
            # What YAML makes of it, without YAML: memdir writes `updated:` on every save.
            try:
                meta[match.group(1)] = date.fromisoformat(value)
            except ValueError:
                return None  # an impossible date: YAML reports it
            continue
        elif not value or _not_plain(value):
            return None
        meta[match.group(1)] = value
    return meta


def _not_plain(value: str) -> bool:
    """True when YAML would not read the stripped, non-empty `value` as that same text."""
    if _NOT_PLAIN_START.match(value) is not None:
        return True
    if ":" in value and (value.endswith(":") or _COLON_SPACE.search(value) is not None):
        return True
    return "#" in value and _SPACE_HASH.search(value) is not None


def strip_controls(text: str) -> str:
    """`text` with control characters (ESC, BEL, ...) replaced by U+FFFD.

    Trigger: ``name: "\\e]0;PWNED\\a"`` in a file from a git pull. Why: printed as is, it
    retitles the terminal or hides text. Outcome: names and descriptions never carry them.
    """
    return _CONTROL.sub("\ufffd", text)


def text_field(meta: Mapping[str, Any], key: str) -> str | None:
    """A frontmatter value that must be text, or None when missing or of another type.

    Control characters are replaced (see `strip_controls`); lint reports them.
    """
    value = meta.get(key)
    if isinstance(value, str):
        return strip_controls(value.strip())
    return None


def default_name(filename: str) -> str:
    """The name of a memory whose frontmatter gives none: its file name without ``.md``."""
    return filename.rsplit("/", 1)[-1].removesuffix(".md")


def header_fields(head: str, filename: str) -> Fields | None:
    """The header fields of a file whose text starts with `head`, when no YAML is needed.

    As `scan.parse_header` gives them for the same text. None when the block is not flat
    (YAML must read it), does not close, or has a ``type:`` that is not text: the scan's
    parser decides those.
    """
    lines = head.split("\n", HEADER_LINES)
    del lines[HEADER_LINES:]
    if lines[0].strip() != "---":
        return default_name(filename), "", None, None, "\n".join(lines)[:SNIPPET_CHARS]
    end = frontmatter_end(lines, len(lines))
    if end is None:
        return None
    meta = flat_meta(lines[1:end], lenient=False)
    if meta is None:
        return None
    raw_type = meta.get("type")
    if raw_type is not None and not isinstance(raw_type, str):
        return None
    updated = parse_updated(meta.get("updated"))
    return (
        text_field(meta, "name") or default_name(filename),
        text_field(meta, "description") or "",
        None if raw_type is None else strip_controls(raw_type),
        None if updated is None else updated.isoformat(),
        "\n".join(lines[end + 1 :]).lstrip("\n")[:SNIPPET_CHARS],
    )
