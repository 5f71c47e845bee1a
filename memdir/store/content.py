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


#: Names Windows reserves for devices, whatever the extension: never a file stem.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def slugify(name: str) -> str:
    """A safe, stable file stem for a memory name, in any script.

    Latin letters lose their accents (``Café`` -> ``cafe``, as before); letters and digits
    of other scripts are kept as they are (NFC), so ``日本語`` names ``日本語.md``; anything
    else (punctuation, spaces, emoji) separates words with ``_``. A name of symbols only
    (emoji, say) gets a stem made from its hash, so it still saves; ASCII punctuation
    alone gives ``""``, which the store refuses.
    At most 80 characters; names Windows reserves (``con``, ``nul`` ...) get a ``_``.
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char):
            continue
        out.append(char.lower() if char.isalnum() else "_")
    slug = re.sub(r"_+", "_", unicodedata.normalize("NFC", "".join(out))).strip("_")
    slug = slug[:80].rstrip("_")
    if not slug and any(not c.isascii() and not c.isspace() for c in name):
        import hashlib  # rare, and recall's start-up does without it

        digest = hashlib.sha256(unicodedata.normalize("NFC", name.strip()).encode()).hexdigest()
        slug = f"memory_{digest[:10]}"
    return f"{slug}_" if slug in _RESERVED else slug
