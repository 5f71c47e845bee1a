"""One-line summaries of a change, generated from the diff itself.

Never from anyone's account of what they did: a model that says "tidied two notes" while
deleting ten is summarised as deleting ten (the nanobot lesson in the reading notes).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

INDEX_NAME = "MEMORY.md"
_SHOWN = 3
_MAX = 160
_FIELD = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Change:
    """What happened to the folder between two trees, path by path."""

    added: tuple[str, ...]
    deleted: tuple[str, ...]
    modified: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]

    @property
    def files(self) -> tuple[str, ...]:
        """Every path touched, memories first, sorted; both sides of a rename."""
        paths = {*self.added, *self.deleted, *self.modified}
        for old, new in self.renamed:
            paths.update((old, new))
        return tuple(sorted(paths, key=lambda p: (p == INDEX_NAME, p)))

    def __bool__(self) -> bool:
        return bool(self.added or self.deleted or self.modified or self.renamed)


def compare(old: dict[str, str], new: dict[str, str]) -> Change:
    """The change from tree `old` to tree `new` (path -> blob id); exact moves are renames."""
    added = sorted(set(new) - set(old))
    deleted = sorted(set(old) - set(new))
    modified = sorted(p for p in set(old) & set(new) if old[p] != new[p])
    renamed: list[tuple[str, str]] = []
    by_id: dict[str, list[str]] = {}
    for path in deleted:
        by_id.setdefault(old[path], []).append(path)
    for path in list(added):
        sources = by_id.get(new[path])
        if sources:
            source = sources.pop(0)
            renamed.append((source, path))
            added.remove(path)
            deleted.remove(source)
    return Change(tuple(added), tuple(deleted), tuple(modified), tuple(renamed))


def summarize(change: Change, read: Callable[[str, str], bytes]) -> str:
    """One line saying what `change` did; `read(path, side)` gives "old"/"new" bytes."""
    parts: list[str] = []
    for path in change.added:
        if path != INDEX_NAME:
            parts.append(_added(path, read(path, "new")))
    for old, new in change.renamed:
        parts.append(f"rename {old} -> {new}")
    for path in change.modified:
        if path != INDEX_NAME:
            parts.append(_modified(path, read(path, "old"), read(path, "new")))
    for path in change.deleted:
        if path != INDEX_NAME:
            parts.append(f"delete {path}{_quoted(_fields(read(path, 'old')).get('name'))}")
    index_touched = INDEX_NAME in (*change.added, *change.modified, *change.deleted)
    if not parts and index_touched:
        if INDEX_NAME in change.deleted:
            return f"delete {INDEX_NAME}"
        before = b"" if INDEX_NAME in change.added else read(INDEX_NAME, "old")
        plus, minus = _line_delta(before, read(INDEX_NAME, "new"))
        return f"edit {INDEX_NAME} (+{plus} -{minus} lines)"
    if not parts:
        return "no change"
    text = "; ".join(parts[:_SHOWN])
    if len(parts) > _SHOWN:
        text += f"; and {len(parts) - _SHOWN} more"
    if index_touched:
        text += " (+index)"
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def _added(path: str, data: bytes) -> str:
    fields = _fields(data)
    kind = f" ({fields['type']})" if fields.get("type") else ""
    description = fields.get("description")
    return f"add {path}{kind}" + (f": {_clip(description, 70)}" if description else "")


def _modified(path: str, before: bytes, after: bytes) -> str:
    old_fields, new_fields = _fields(before), _fields(after)
    changed = [
        key
        for key in sorted(set(old_fields) | set(new_fields), key=_field_order)
        if old_fields.get(key) != new_fields.get(key) and key != "updated"
    ]
    body_plus, body_minus = _line_delta(_body(before), _body(after))
    what = list(changed)
    if body_plus or body_minus:
        what.append(f"body +{body_plus} -{body_minus}")
    if not what:
        what.append("updated date" if old_fields != new_fields else "whitespace")
    return f"edit {path}: {', '.join(what)}"


def _field_order(key: str) -> tuple[int, str]:
    order = {"name": 0, "description": 1, "type": 2}
    return (order.get(key, 3), key)


def _split(data: bytes) -> tuple[list[str], list[str]]:
    lines = data.decode("utf-8", "replace").removeprefix("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        for number, line in enumerate(lines[1:], start=1):
            if line.strip() == "---":
                return lines[1:number], lines[number + 1 :]
    return [], lines


def _fields(data: bytes) -> dict[str, str]:
    # Top-level scalar keys only, read as text: enough to name what changed, with no
    # YAML parser (and none of its coercions) on the write path.
    head, _body_lines = _split(data)
    found: dict[str, str] = {}
    for line in head:
        match = _FIELD.match(line)
        if match:
            found[match.group(1)] = match.group(2).strip().strip("'\"")
        elif found and line.startswith((" ", "\t", "-")):
            last = next(reversed(found))
            found[last] += " " + line.strip()
    return found


def _body(data: bytes) -> bytes:
    return "\n".join(_split(data)[1]).encode("utf-8")


def _line_delta(before: bytes, after: bytes) -> tuple[int, int]:
    old = before.decode("utf-8", "replace").splitlines()
    new = after.decode("utf-8", "replace").splitlines()
    plus = minus = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            minus += i2 - i1
        if tag in ("replace", "insert"):
            plus += j2 - j1
    return plus, minus


def _quoted(text: str | None) -> str:
    return f' ("{_clip(text, 60)}")' if text else ""


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
