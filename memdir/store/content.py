"""Content rules shared by saving and lint: what should not be stored, and names to files."""

from __future__ import annotations

import re
import unicodedata

from ..errors import UnsafePathError

_CODE_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_TREE = re.compile(r"^\s*(?:[│|]\s*)*(?:├──|└──|\|--|`--)\s*\S", re.MULTILINE)
_COMMIT = re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{40}(?![0-9a-zA-Z])|\bcommit [0-9a-f]{7,12}\b")
_TRACE = re.compile(
    r"Traceback \(most recent call last\)|^\s+at [\w.$<>]+\(.*:\d+\)|^\s*File \".+\", line \d+",
    re.MULTILINE,
)


def derivable_content(body: str) -> list[tuple[str, str]]:
    """Parts of `body` that can be derived from the code or git and should not be stored.

    Returns (rule, message) pairs: code blocks, directory trees, commit hashes, stack traces.
    """
    found: list[tuple[str, str]] = []
    if _CODE_FENCE.search(body):
        found.append(("derivable-code-block", "holds a code block; code lives in the repository"))
    if len(_TREE.findall(body)) >= 2:
        found.append(("derivable-tree", "holds a directory tree; the layout can be listed"))
    if _COMMIT.search(body):
        found.append(("derivable-commit", "names a commit hash; git history already records it"))
    if _TRACE.search(body):
        found.append(("derivable-stack-trace", "holds a stack trace; keep the lesson, not the log"))
    return found


def check_name(name: str) -> None:
    """Refuse names that could be read as a path.

    Raises:
        UnsafePathError: the name holds a NUL byte, a slash, or ``..``.
    """
    if "\x00" in name:
        raise UnsafePathError("name contains a NUL byte", field="name")
    if "/" in name or "\\" in name or ".." in name:
        raise UnsafePathError(
            f"name {name!r} looks like a path; use plain words (no slashes or '..')",
            field="name",
        )


def slugify(name: str) -> str:
    """A safe file stem for a memory name: lower-case ASCII words joined by ``_``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return slug[:80].rstrip("_")
