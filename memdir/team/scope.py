"""Where a memory folder's team folder is, and which folder a new memory belongs in.

This module is the one piece of the team package that the store reads (on save and
scan), so it imports nothing but the top-level modules: no git, no subprocess.

A team folder exists when `memory team init` made one: the memory folder's ``team/``
subfolder holding a git clone (Claude Code's team path), or, in in-repo mode, a folder
inside the project's repository recorded in this machine's state folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigurationError, InvalidMemoryError
from ..fsio import read_json_object
from ..paths import folder_key
from ..types import MemoryType

#: The team folder's name inside the memory folder, and the prefix of team file names.
TEAM_DIR = "team"
TEAM_PREFIX = TEAM_DIR + "/"


def pointer_file(memory_dir: Path, state: Path) -> Path:
    """This machine's record of a memory folder's team set-up (in-repo path, last sync)."""
    return state / "team" / f"{folder_key(memory_dir)}.json"


def read_pointer(memory_dir: Path, state: Path) -> dict[str, object]:
    """The recorded team set-up for `memory_dir` ({} when there is none or it is unreadable)."""
    return read_json_object(pointer_file(memory_dir, state)) or {}


def in_repo_root(memory_dir: Path, state: Path) -> Path | None:
    """The in-repo team folder recorded for `memory_dir`, if that mode is set up."""
    value = read_pointer(memory_dir, state).get("in_repo")
    if isinstance(value, str) and os.path.isabs(value):
        return Path(value)
    return None


def team_root(memory_dir: Path, state: Path) -> Path | None:
    """The team folder read and written with `memory_dir`, or None when there is none.

    A ``team`` entry that is a symbolic link is not a team folder: following it could
    read or write anywhere.
    """
    local = memory_dir / TEAM_DIR
    if not local.is_symlink() and (local / ".git").is_dir():
        return local
    return in_repo_root(memory_dir, state)


def route(memory_dir: Path, state: Path, kind: MemoryType, *, scope: str | None = None) -> str:
    """ "team" or "private": the folder a new memory of `kind` is saved in.

    `scope` is what the caller asked for; None follows the rules: `user` memories stay
    private, others follow the team's committed settings once a team folder exists.

    Raises:
        InvalidMemoryError: a `user` memory was asked to go to the team.
        ConfigurationError: the team was asked for but there is no team folder.
    """
    if scope not in (None, "team", "private"):
        raise InvalidMemoryError(f"scope {scope!r}: use team or private", field="scope")
    if scope == "private":
        return "private"
    if kind is MemoryType.USER:
        if scope == "team":
            raise InvalidMemoryError(
                "user memories describe one person and are never shared", field="type"
            )
        return "private"
    root = team_root(memory_dir, state)
    if root is None:
        if scope == "team":
            raise ConfigurationError(
                "there is no team folder; `memory team init REMOTE` sets one up",
                path=memory_dir,
            )
        return "private"
    if scope == "team":
        return "team"
    from .config import load_config

    return load_config(root).scope_for(kind)
