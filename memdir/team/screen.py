"""What may leave this machine: the check every team file passes before commit and push.

A file is held back (kept local, never committed, named by `memory team status`) when it
is a symbolic link, is not a memory file, is not a valid memory, is a `user` memory, or
holds something that looks like a credential. The same check runs again on the exact
bytes about to be pushed (`check_blob`), so a file changed between commit and push
cannot slip through.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidMemoryError
from ..store.filetext import MAX_FILE_BYTES
from ..store.memoryfile import split_frontmatter, validate_fields
from ..store.secrets import find_secrets
from ..store.walk import INDEX_NAME
from ..types import MemoryType
from .config import CONFIG_NAME, parse_config

#: Files the team repository keeps besides memories.
CONTROL_FILES = frozenset({".gitignore", CONFIG_NAME})
GITIGNORE_TEXT = (
    "# The index is rebuilt on every machine from the files, so it is never shared;\n"
    "# hidden temporary files are atomic writes in progress.\n"
    f"/{INDEX_NAME}\n.*.tmp\n"
)
#: ``name.conflict-<id>.md``: the other side of a memory changed on two machines.
CONFLICT_COPY = re.compile(r"\.conflict-[0-9a-z]+(?:-\d+)?\.md$")


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A file kept out of the team repository, and why."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


def check_blob(path: str, data: bytes) -> str | None:
    """Why `data`, to be stored at `path` in the team repository, must not be shared."""
    name = path.rsplit("/", 1)[-1]
    if path in CONTROL_FILES:
        if path == CONFIG_NAME:
            try:
                problem = parse_config(data.decode("utf-8")).problem
            except UnicodeDecodeError:
                problem = "not UTF-8 text"
            if problem:
                return problem
        return None
    if not name.endswith(".md") or name.startswith("."):
        return "not a memory file (only .md memories are shared)"
    if path == INDEX_NAME:
        return "the index is rebuilt on every machine, never shared"
    if len(data) > MAX_FILE_BYTES:
        return f"over the {MAX_FILE_BYTES:,}-byte limit for a memory"
    try:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    secrets = find_secrets(text)
    if secrets:
        first = secrets[0]
        return f"holds what looks like a credential ({first.kind}, line {first.line})"
    parsed = split_frontmatter(text)
    if parsed.error is not None or not parsed.meta:
        return f"not a valid memory: {parsed.error or 'no frontmatter'}"
    meta = parsed.meta
    for key in ("name", "description"):
        if not isinstance(meta.get(key), str):
            return f"not a valid memory: {key} is missing or not text"
    try:
        kind = validate_fields(
            name=meta["name"], description=meta["description"], type=str(meta.get("type"))
        )
    except InvalidMemoryError as exc:
        return f"not a valid memory: {exc.field}: {exc.message}"
    if kind is MemoryType.USER:
        return "a user memory (user memories are never shared)"
    return None


def check_file(root: Path, path: str) -> str | None:
    """Why the working-tree file `path` under `root` must not be shared (None: it may be).

    A missing file is fine (a deletion is shared); a link is refused, never followed.
    """
    full = root / path
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    import stat

    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link (links are never shared or followed)"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_size > MAX_FILE_BYTES:
        return f"over the {MAX_FILE_BYTES:,}-byte limit for a memory"
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    return check_blob(path, data)


def is_conflict_copy(filename: str) -> bool:
    """Whether `filename` is the saved other side of a conflicting change."""
    return CONFLICT_COPY.search(filename) is not None
