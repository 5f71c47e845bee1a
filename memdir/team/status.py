"""`memory team status`: the team folder's state on this machine, without the network.

Incoming changes are counted against what the last fetch saw (status never fetches, so
it answers at once, offline included); the time of that fetch is the last sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store.folder import MemoryDir
from .config import load_config
from .repo import TeamRepo
from .scope import TEAM_DIR, in_repo_root, read_pointer
from .screen import HeldBack, check_file, is_conflict_copy


@dataclass(frozen=True, slots=True)
class TeamStatus:
    """Everything `memory team status` reports."""

    mode: str  # "none" | "git" | "in-repo"
    root: Path | None = None
    remote: str | None = None
    branch: str | None = None
    last_sync: str | None = None
    last_error: str | None = None
    local_changes: tuple[str, ...] = ()
    unpushed_commits: int = 0
    incoming_commits: int = 0
    incoming_files: tuple[str, ...] = ()
    held_back: tuple[HeldBack, ...] = ()
    conflict_copies: tuple[str, ...] = ()
    config_problem: str | None = None

    @property
    def shared(self) -> bool:
        """Whether nothing local waits to be shared."""
        return not self.local_changes and not self.unpushed_commits

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "root": str(self.root) if self.root else None,
            "remote": self.remote,
            "branch": self.branch,
            "last_sync": self.last_sync,
            "last_error": self.last_error,
            "local_changes": list(self.local_changes),
            "unpushed_commits": self.unpushed_commits,
            "incoming_commits": self.incoming_commits,
            "incoming_files": list(self.incoming_files),
            "held_back": [h.to_json() for h in self.held_back],
            "conflict_copies": list(self.conflict_copies),
            "config_problem": self.config_problem,
        }


def _conflict_copies(root: Path) -> tuple[str, ...]:
    return tuple(
        sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*.md")
            if ".git" not in p.parts and is_conflict_copy(p.name) and not p.is_symlink()
        )
    )


def _in_repo_status(root: Path, record: dict[str, Any]) -> TeamStatus:
    held = []
    for path in sorted(root.rglob("*")):
        if ".git" in path.parts or path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(root).as_posix()
        reason = check_file(root, relative)
        if reason is not None:
            held.append(HeldBack(relative, reason))
    return TeamStatus(
        mode="in-repo",
        root=root,
        remote=str(record.get("repository") or "") or None,
        held_back=tuple(held),
        conflict_copies=_conflict_copies(root),
        config_problem=load_config(root).problem,
    )


def team_status(store: MemoryDir) -> TeamStatus:
    """The team folder's state: remote, last sync, what is not shared yet, what is held."""
    state = store.state_path
    record = read_pointer(store.path, state)
    elsewhere = in_repo_root(store.path, state)
    if elsewhere is not None:
        return _in_repo_status(elsewhere, record)
    root = store.path / TEAM_DIR
    if root.is_symlink() or not (root / ".git").is_dir():
        return TeamStatus(mode="none")
    repo = TeamRepo(store.path, root, state=state)
    ok, held = repo.screen_changes()
    head, upstream = repo.head(), repo.upstream()
    unpushed = incoming = 0
    incoming_files: tuple[str, ...] = ()
    if head is not None:
        unpushed = repo.count(f"{upstream}..{head}" if upstream else head)
    if upstream is not None:
        incoming = repo.count(f"{head}..{upstream}" if head else upstream)
        if incoming:
            spec = [f"{head}...{upstream}"] if head else [upstream]
            names = repo.git.run(["diff", "--name-only", "-z", "--no-renames", *spec]).stdout
            incoming_files = tuple(p.decode() for p in names.split(b"\0") if p)
    last_error = record.get("last_error")
    return TeamStatus(
        mode="git",
        root=root,
        remote=repo.remote_label,
        branch=repo.branch,
        last_sync=str(record["last_sync"]) if record.get("last_sync") else None,
        last_error=str(last_error) if last_error else None,
        local_changes=tuple(ok),
        unpushed_commits=unpushed,
        incoming_commits=incoming,
        incoming_files=incoming_files,
        held_back=tuple(held),
        conflict_copies=_conflict_copies(root),
        config_problem=load_config(root).problem,
    )
