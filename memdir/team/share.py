"""`memory share NAME` / `memory unshare NAME`: move a memory between private and team.

The move keeps the file's bytes and relative path (``x.md`` <-> ``team/x.md``), is
checked like anything leaving the machine (no `user` memory, no credential, a valid
memory), and updates the index. The next sync shares it, or removes it from the team.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    ConfigurationError,
    InvalidMemoryError,
    MemoryExistsError,
    MemoryNotFoundError,
    SecretDetectedError,
)
from ..fsio import atomic_write
from ..store.folder import MemoryDir
from ..types import MemoryHeader
from .scope import TEAM_PREFIX
from .screen import check_blob


@dataclass(frozen=True, slots=True)
class Moved:
    """Where a memory was and where it is now (file names relative to the memory folder)."""

    before: str
    after: str


def _move(store: MemoryDir, before: str, after: str) -> Moved:
    source = store.resolve(before)
    target = store.resolve(after)
    if target.exists() or target.is_symlink():
        raise MemoryExistsError(
            f"{after} already exists; rename one of the two first", path=target, field="name"
        )
    from ..history import Actor, History

    # One recorded operation: `memory undo` puts the memory back where it was.
    with History.for_folder(store.path, state_dir=store.state_path).operation(Actor("cli")):
        data = source.read_bytes()
        atomic_write(target, data)
        source.unlink()
        store.sync_index()
    return Moved(before, after)


def share_memory(store: MemoryDir, name: str) -> Moved:
    """Move a private memory into the team folder.

    Raises:
        ConfigurationError: there is no team folder.
        MemoryNotFoundError: no private memory by that name.
        InvalidMemoryError: a `user` memory, or not a valid memory.
        SecretDetectedError: the memory holds what looks like a credential.
    """
    if store.team_root is None:
        raise ConfigurationError(
            "there is no team folder; `memory team init REMOTE` sets one up", path=store.path
        )
    header = store.find(name)
    if header.filename.startswith(TEAM_PREFIX):
        raise MemoryNotFoundError(f"{header.filename} is already shared", path=header.path)
    reason = check_blob(header.filename, Path(header.path).read_bytes())
    if reason is not None:
        error = SecretDetectedError if "credential" in reason else InvalidMemoryError
        raise error(f"not shared: {reason}", path=header.path)
    return _move(store, header.filename, TEAM_PREFIX + header.filename)


def unshare_memory(store: MemoryDir, name: str) -> Moved:
    """Move a team memory back to the private folder (the next sync removes it for all).

    Raises:
        MemoryNotFoundError: no team memory by that name.
    """
    header = _find_team(store, name)
    return _move(store, header.filename, header.filename.removeprefix(TEAM_PREFIX))


def _find_team(store: MemoryDir, name: str) -> MemoryHeader:
    wanted = name.removeprefix(TEAM_PREFIX)
    for header in store.scan().memories:
        if header.source != "team":
            continue
        short = header.filename.removeprefix(TEAM_PREFIX)
        if wanted in (short, short.removesuffix(".md"), header.name) or name == header.filename:
            return header
    raise MemoryNotFoundError(f"no team memory named {name!r}", path=store.path)
