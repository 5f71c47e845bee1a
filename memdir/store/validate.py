"""The one validator of a memory file: used by every write, by lint, and by the daemon.

`check_text` returns findings ``(rule, field, message)`` about the frontmatter block, the
core fields, ``updated:``, control characters and credentials. Lint reports them (adding
the rules about bodies and the index); the daemon logs them for files people edit; writes
through memdir (`refuse_invalid`) refuse a text with any error, and with a few warnings
that memdir itself must never produce, so what lint calls an error can never be saved.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidMemoryError, SecretDetectedError
from ..types import MemoryType
from .filetext import MAX_FILE_BYTES, read_memory_text
from .freshness import parse_updated
from .headfields import HEADER_LINES
from .memoryfile import (
    MAX_DESCRIPTION,
    ParsedHead,
    field_problem,
    split_frontmatter,
    validate_fields,
)
from .yamlblock import describe

Severity = Literal["error", "warning"]
#: One finding in one file: (rule id, frontmatter field or "body" or None, message).
Finding = tuple[str, str | None, str]

#: Descriptions longer than this are reported; the selector reads one short line.
DESCRIPTION_WARN_CHARS = 150


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its severity and what it checks, for `memory lint` and the docs."""

    severity: Severity
    summary: str


#: The rules `check_text` applies; lint adds its own (bodies, index, duplicates).
FILE_RULES: Mapping[str, Rule] = {
    "file-unreadable": Rule(
        "error", "not a readable memory: binary, not UTF-8, too big, a FIFO or a link"
    ),
    "frontmatter-missing": Rule("error", "no frontmatter block at the top"),
    "frontmatter-invalid": Rule(
        "error", "frontmatter does not parse, does not close or is refused"
    ),
    "frontmatter-lenient": Rule("warning", "frontmatter parses only leniently"),
    "type-missing": Rule("error", "no type"),
    "type-unknown": Rule("error", "type outside user, feedback, project, reference"),
    "description-missing": Rule("error", "no description, or an empty one"),
    "description-not-text": Rule("error", "YAML read the description as a non-string"),
    "description-multiline": Rule("warning", "description spans several lines"),
    "description-too-long": Rule("warning", f"description over {DESCRIPTION_WARN_CHARS} chars"),
    "name-missing": Rule("warning", "no name (the file name is used)"),
    "name-not-text": Rule("warning", "YAML read the name as a non-string"),
    "updated-invalid": Rule("warning", "updated: is not a date, or is in the future"),
    "control-characters": Rule("warning", "holds terminal control characters (ESC, BEL ...)"),
    "secret": Rule("error", "holds something that looks like a credential"),
}

#: Warnings memdir never writes itself: a text with one of these is refused on save.
_REFUSED_ON_WRITE = frozenset(
    {"frontmatter-lenient", "name-missing", "name-not-text", "description-multiline",
     "control-characters"}
)  # fmt: skip

_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def frontmatter_lines(text: str) -> list[str]:
    """The raw lines between the opening and closing ``---`` (empty when there is none)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return []
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return lines[1:i]
    return []


def _lenient_key(block: Sequence[str]) -> str | None:
    """The first key whose line is not valid YAML on its own (the one to quote)."""
    from .yamlblock import YamlBlockError, load_block

    for line in block:
        match = _KEY_LINE.match(line)
        if match is None:
            continue
        try:
            load_block(line)
        except YamlBlockError:
            return match.group(1)
    return None


def check_frontmatter(text: str, parsed: ParsedHead) -> tuple[list[Finding], bool]:
    """Findings about the block itself, and whether its fields are worth checking."""
    if parsed.error is not None:
        return [
            ("frontmatter-invalid", "frontmatter", f"{parsed.error}; the file is skipped")
        ], False
    if text.split("\n", 1)[0].strip() != "---":
        return [
            (
                "frontmatter-missing",
                "frontmatter",
                "no frontmatter; start the file with a --- block holding name, description "
                "and type",
            )
        ], False
    if parsed.lenient is None:
        return [], True
    key = _lenient_key(frontmatter_lines(text))
    where = f"the {key} value" if key else "a value"
    return [
        (
            "frontmatter-lenient",
            key,
            f"{parsed.lenient}; memdir reads it leniently but other tools will not: put {where} "
            "in quotes",
        )
    ], True


def _choices() -> str:
    return ", ".join(MemoryType.choices())


def check_fields(meta: Mapping[str, Any], *, today: date) -> list[Finding]:
    """type, description, name and updated."""
    found: list[Finding] = []
    raw_type = meta.get("type")
    if raw_type is None or (isinstance(raw_type, str) and not raw_type.strip()):
        found.append(("type-missing", "type", f"no type; use one of: {_choices()}"))
    elif MemoryType.parse(raw_type) is None:
        close = (
            difflib.get_close_matches(raw_type.lower(), MemoryType.choices(), n=1)
            if isinstance(raw_type, str)
            else []
        )
        hint = f" (did you mean {close[0]}?)" if close else ""
        found.append(
            ("type-unknown", "type", f"type {describe(raw_type)} is not one of: {_choices()}{hint}")
        )

    problem = field_problem(meta, "description")
    if problem in ("missing", "is empty"):
        found.append(
            (
                "description-missing",
                "description",
                f"description {problem}; recall selects memories by this line alone",
            )
        )
    elif problem is not None:
        found.append(("description-not-text", "description", f"description {problem}"))
    else:
        found += _description_shape(meta["description"].strip())

    problem = field_problem(meta, "name")
    if problem in ("missing", "is empty"):
        found.append(("name-missing", "name", f"name {problem}; the file name stands in for it"))
    elif problem is not None:
        found.append(("name-not-text", "name", f"name {problem}"))

    if meta.get("updated") is not None:
        updated = parse_updated(meta["updated"])
        if updated is None:
            found.append(
                (
                    "updated-invalid",
                    "updated",
                    f"updated: {describe(meta['updated'])} is not a date; write it as "
                    "YYYY-MM-DD (the file's mtime is used meanwhile)",
                )
            )
        elif updated > today:
            found.append(
                (
                    "updated-invalid",
                    "updated",
                    f"updated: {updated} is in the future (today is {today})",
                )
            )
    return found


def _description_shape(description: str) -> list[Finding]:
    found: list[Finding] = []
    if "\n" in description:
        found.append(
            (
                "description-multiline",
                "description",
                f"description spans {description.count(chr(10)) + 1} lines; the selector reads "
                "one line per memory, so write one",
            )
        )
    if len(description) > DESCRIPTION_WARN_CHARS:
        refuse = (
            f"; edits through memdir refuse over {MAX_DESCRIPTION}"
            if (len(description) > MAX_DESCRIPTION)
            else ""
        )
        found.append(
            (
                "description-too-long",
                "description",
                f"description is {len(description)} characters (over {DESCRIPTION_WARN_CHARS}); "
                f"keep the specific part and move detail into the body{refuse}",
            )
        )
    return found


def _line_field(line: int, frontmatter: Sequence[str]) -> str:
    """The frontmatter key on 1-based file line `line`, or "body"."""
    if 1 < line <= len(frontmatter) + 1:
        key = _KEY_LINE.match(frontmatter[line - 2])
        return key.group(1) if key else "frontmatter"
    return "body"


def check_controls(
    text: str, frontmatter: Sequence[str], meta: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Control characters (ESC, BEL, ...) a terminal would act on, in the file's text or
    in a frontmatter value (YAML's ``"\\e"`` escapes make them); one finding a file."""
    for key, value in (meta or {}).items():
        hit = _CONTROL.search(value) if isinstance(value, str) else None
        if hit is not None:
            return [(*_control_finding(hit.group())[:1], key, _control_finding(hit.group())[2])]
    match = _CONTROL.search(text)
    if match is None:
        return []
    line = text.count("\n", 0, match.start()) + 1
    rule, _, message = _control_finding(match.group())
    return [(rule, _line_field(line, frontmatter), f"line {line} {message}")]


def _control_finding(char: str) -> Finding:
    return (
        "control-characters",
        None,
        f"holds the control character U+{ord(char):04X}; terminals act on such characters "
        "(memdir shows them as \ufffd): remove them",
    )


def check_secrets(text: str, frontmatter: Sequence[str]) -> list[Finding]:
    """Credential-shaped strings anywhere in the file; the message never holds the secret."""
    from .secrets import find_secrets

    return [
        (
            "secret",
            _line_field(match.line, frontmatter),
            f"line {match.line} looks like a {match.kind} ({match.preview}); remove it from "
            "the file and its git history, and rotate the credential",
        )
        for match in find_secrets(text)
    ]


@dataclass(frozen=True, slots=True)
class CheckedText:
    """A memory file's text, parsed, with every finding of the file rules."""

    parsed: ParsedHead
    findings: tuple[Finding, ...]

    @property
    def fields_ok(self) -> bool:
        """Whether the frontmatter parsed (the fields, body rules and header are usable)."""
        return self.parsed.error is None and bool(self.parsed.meta)


def check_text(text: str, *, today: date | None = None) -> CheckedText:
    """Every file-rule finding for the text of a memory file, frontmatter findings first."""
    today = today or date.today()
    parsed = split_frontmatter(text, max_lines=HEADER_LINES)
    block, fields_ok = check_frontmatter(text, parsed)
    found = list(block)
    if fields_ok:
        found += check_fields(parsed.meta, today=today)
    lines = frontmatter_lines(text)
    found += check_controls(text, lines, parsed.meta)
    found += check_secrets(text, lines)
    return CheckedText(parsed, tuple(found))


def check_file(path: Path, *, today: date | None = None) -> list[Finding]:
    """Findings for one file on disk ([] when it is fine or gone); never follows a link."""
    text, reason = read_memory_text(path)
    if text is None:
        return [] if reason == "gone" else [("file-unreadable", None, reason or "unreadable")]
    return list(check_text(text, today=today).findings)


def _is_refused(rule: str) -> bool:
    return FILE_RULES[rule].severity == "error" or rule in _REFUSED_ON_WRITE


def refuse_invalid(text: str, *, path: Path) -> ParsedHead:
    """Check a memory file's full text before memdir writes it; returns it parsed.

    Raises:
        SecretDetectedError: the text holds something that looks like a credential.
        InvalidMemoryError: lint would call it an error, a field is over its limit, or the
            file would be over the size limit for a memory.
    """
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise InvalidMemoryError(
            f"the memory would be {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for "
            "a memory; keep only what will matter later",
            path=path,
            field="body",
        )
    from .secrets import find_secrets

    found = find_secrets(text)
    if found:
        first = found[0]
        raise SecretDetectedError(
            f"looks like a credential ({first.kind}, line {first.line}: {first.preview}); "
            "memories are plain files kept in git, so secrets are refused",
            path=path,
            field=_line_field(first.line, frontmatter_lines(text)),
        )
    checked = check_text(text)
    for rule, field, message in checked.findings:
        if _is_refused(rule):
            raise InvalidMemoryError(message, path=path, field=field)
    meta = checked.parsed.meta
    validate_fields(
        name=meta["name"], description=meta["description"], type=meta["type"], path=path
    )
    return checked.parsed
