"""Who last changed each team memory, from git, kept in the state folder for recall.

Recall must not run git (it is on every prompt's path), so each sync updates a small
JSON map ``path -> author`` from the commits it brought in, and recall reads that map
only when it shows a team memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..fsio import atomic_write, read_json_object
from ..paths import folder_key

if TYPE_CHECKING:
    from .gitcli import Git


def authors_file(memory_dir: Path, state: Path) -> Path:
    return state / "team" / f"{folder_key(memory_dir)}.authors.json"


def read_authors(memory_dir: Path, state: Path) -> dict[str, str]:
    """Team-relative path -> name of whoever last changed it ({} when unknown)."""
    files = (read_json_object(authors_file(memory_dir, state)) or {}).get("files")
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def update_authors(git: Git, memory_dir: Path, state: Path) -> None:
    """Bring the map up to date with HEAD, reading only the commits added since last time."""
    target = authors_file(memory_dir, state)
    head = git.run(["rev-parse", "--verify", "-q", "HEAD"], check=False).text.strip()
    if not head:
        return
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        known, files = data["head"], dict(data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        known, files = None, {}
    if known == head:
        return
    span = [head]
    if known and git.ok("merge-base", "--is-ancestor", known, head):
        span = [f"{known}..{head}"]
    else:
        files = {}
    # Newest first: the first commit naming a path is its last change. Merge commits are
    # skipped: whoever merged did not write the text.
    raw = git.run(
        ["log", "--no-merges", "--no-renames", "-z", "--format=%x01%an%x02", "--name-only", *span]
    ).text
    seen: set[str] = set()
    for chunk in raw.split("\x01")[1:]:
        author, _, names = chunk.partition("\x02")
        for name in names.replace("\n", "\0").split("\0"):
            if name and name not in seen:
                seen.add(name)
                files[name] = author.strip()
    atomic_write(target, json.dumps({"head": head, "files": files}), durable=False)
