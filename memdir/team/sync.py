"""`memory team init` and `memory team sync`: the team folder's life over git.

A sync is: record local changes (one commit of what may be shared), fetch, integrate,
push. A push that loses the race fetches and integrates again; the network is retried
with full-jitter backoff inside a time budget; authentication failures and missing
remotes stop at once. When the budget runs out the changes stay committed here and the
next sync pushes them: nothing is dropped. One sync at a time per team folder.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, TeamSyncError
from ..fsio import atomic_write, file_lock
from ..paths import folder_key
from ..progress import Progress, no_progress
from ..store.folder import MemoryDir
from .authors import update_authors
from .config import CONFIG_NAME, DEFAULT_TEXT
from .gitcli import NETWORK_TIMEOUT_S, Git, redact
from .repo import REMOTE, TeamRepo
from .retry import RetryLog, RetryPolicy, with_retry
from .scope import TEAM_DIR, in_repo_root, pointer_file, read_pointer
from .screen import GITIGNORE_TEXT, HeldBack


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did."""

    remote: str
    committed: tuple[str, ...] = ()
    received: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    conflicts: tuple[tuple[str, str], ...] = ()
    kept_edits: tuple[str, ...] = ()
    held_back: tuple[HeldBack, ...] = ()
    pushed: bool = False
    attempts: int = 0
    retried: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "committed": list(self.committed),
            "received": list(self.received),
            "merged": list(self.merged),
            "conflicts": [{"file": f, "copy": c} for f, c in self.conflicts],
            "kept_edits": list(self.kept_edits),
            "held_back": [h.to_json() for h in self.held_back],
            "pushed": self.pushed,
            "attempts": self.attempts,
            "retried": list(self.retried),
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def lock_path(memory_dir: Path, state: Path) -> Path:
    return state / "locks" / f"{folder_key(memory_dir)}.team.lock"


def record_state(memory_dir: Path, state: Path, **values: Any) -> None:
    """Merge `values` into this machine's team record for `memory_dir`."""
    data = read_pointer(memory_dir, state)
    data.update(values)
    atomic_write(pointer_file(memory_dir, state), json.dumps(data, indent=2), durable=False)


def _recorded(store: MemoryDir) -> AbstractContextManager[object]:
    """The team's changes coming in, as one history operation of actor ``team-sync``:
    `memory log` shows them and `memory restore` brings back a teammate's deletion."""
    from ..history import Actor, History

    history = History.for_folder(store.path, state_dir=store.state_path)
    return history.operation(Actor("team-sync"))


#: The phases of a sync, as `Progress` hears them: ``(phase, phases done, SYNC_PHASES)``.
SYNC_PHASES = 4


def sync_team(
    store: MemoryDir, *, policy: RetryPolicy | None = None, progress: Progress = no_progress
) -> SyncResult:
    """Share local team changes and bring in the team's; see the module docstring.

    `progress` hears the phases: ``committing`` (0 of `SYNC_PHASES` done), ``fetching``
    (1), ``merging`` (2), ``pushing`` (3), ``synced`` (4); a retried attempt names its
    number (``fetching (attempt 2)``).

    Raises:
        ConfigurationError: there is no team clone (or it is an in-repo folder).
        TeamSyncError: authentication failed or the remote is missing (at once), or the
            remote stayed unreachable for the whole budget (changes kept committed).
    """
    state = store.state_path
    if in_repo_root(store.path, state) is not None:
        raise ConfigurationError(
            "this team folder lives in the project's repository: commit and push it with "
            "the project; memdir never commits there",
            path=in_repo_root(store.path, state),
        )
    repo = TeamRepo.open(store.path, state=state)
    policy = policy or RetryPolicy()
    log = RetryLog()
    with file_lock(lock_path(store.path, state), timeout=policy.budget_s + 30):
        progress("committing", 0, SYNC_PHASES)
        committed, held = repo.commit_local()
        held_paths = {h.path for h in held}
        totals: dict[str, list[Any]] = {k: [] for k in ("received", "merged", "conflicts", "kept")}
        pushed = [False]
        attempts = [0]

        def attempt() -> None:
            attempts[0] += 1
            again = f" (attempt {attempts[0]})" if attempts[0] > 1 else ""
            progress(f"fetching{again}", 1, SYNC_PHASES)
            repo.fetch()
            progress(f"merging{again}", 2, SYNC_PHASES)
            with _recorded(store):
                done = repo.integrate(held_paths)
                if done.received or done.raced or done.outcome is not None:
                    store.sync_index()
            totals["received"] += done.received
            totals["conflicts"] += [(c, c) for c in done.raced]
            if done.outcome is not None:
                totals["merged"] += done.outcome.merged
                totals["conflicts"] += done.outcome.conflicts
                totals["kept"] += done.outcome.kept_edits
            head, upstream = repo.head(), repo.upstream()
            if head is None or head == upstream:
                return
            problems = repo.outgoing_problems()
            if problems:
                listed = "; ".join(f"{p.path}: {p.reason}" for p in problems)
                raise TeamSyncError(
                    f"refusing to push to {repo.remote_label}: {listed}. Fix or remove "
                    "the file, then commit the fix in the team folder",
                    kind="held",
                    remote=repo.remote_label,
                )
            progress(f"pushing{again}", 3, SYNC_PHASES)
            repo.push()
            pushed[0] = True

        try:
            with_retry(attempt, policy, log)
        except TeamSyncError as exc:
            if exc.kind in ("network", "rejected") and log.exhausted:
                exc.message += (
                    f" (gave up after {log.attempts} attempts in {policy.budget_s:.0f} s; "
                    "your changes are committed in the team folder and the next sync "
                    "shares them)"
                )
            record_state(store.path, state, last_attempt=_now(), last_error=exc.message)
            raise
        update_authors(repo.git, store.path, state)
        record_state(store.path, state, last_sync=_now(), last_attempt=_now(), last_error=None)
    progress("synced", SYNC_PHASES, SYNC_PHASES)
    return SyncResult(
        remote=repo.remote_label,
        committed=tuple(committed),
        received=tuple(dict.fromkeys(totals["received"])),
        merged=tuple(dict.fromkeys(totals["merged"])),
        conflicts=tuple(dict.fromkeys(totals["conflicts"])),
        kept_edits=tuple(dict.fromkeys(totals["kept"])),
        held_back=tuple(held),
        pushed=pushed[0],
        attempts=log.attempts,
        retried=tuple(log.retried),
    )


def _check_out_remote_branch(repo: TeamRepo) -> None:
    """After cloning a remote whose HEAD names no branch: main, else master, else any."""
    raw = repo.git.out("for-each-ref", "--format=%(refname:strip=3)", f"refs/remotes/{REMOTE}")
    branches = [b for b in raw.splitlines() if b and b != "HEAD"]
    if not branches:
        return
    chosen = next((b for b in ("main", "master") if b in branches), branches[0])
    repo.git.run(["checkout", "-q", "-B", chosen, f"{REMOTE}/{chosen}"])


@dataclass(frozen=True, slots=True)
class InitResult:
    """Where the team folder is, what it holds, and whether it was a new team."""

    root: Path
    remote: str | None
    created: bool
    memories: int

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "remote": self.remote,
            "created": self.created,
            "memories": self.memories,
        }


def init_team(
    store: MemoryDir,
    remote: str,
    *,
    policy: RetryPolicy | None = None,
    progress: Progress = no_progress,
) -> InitResult:
    """Clone `remote` into the memory folder's ``team/`` (an empty remote is set up).

    `progress` hears ``("cloning", 0, 1)``, then ``("cloned", 1, 1)``, or the first
    sync's phases when the remote was empty.

    Raises:
        ConfigurationError: a team folder already exists, or ``team/`` holds other files.
        TeamSyncError: the remote refused access, does not exist, or stayed unreachable.
    """
    root = store.path / TEAM_DIR
    label = redact(remote)
    if in_repo_root(store.path, store.state_path) is not None:
        raise ConfigurationError("an in-repo team folder is already set up", path=store.path)
    if root.is_symlink() or (root.exists() and any(root.iterdir())):
        raise ConfigurationError(
            "team/ already exists here and is not empty; remove or rename it first",
            path=root,
        )
    store.init()
    policy = policy or RetryPolicy()
    # A relative path remote is taken from where the command runs, not the memory folder.
    source = os.path.abspath(remote) if os.path.isdir(remote) else remote
    git = Git(store.path, remote_label=label)

    def clone() -> None:
        shutil.rmtree(root, ignore_errors=True)
        git.run(
            ["clone", "--quiet", "--no-tags", "-c", "core.symlinks=false", source, TEAM_DIR],
            network=True,
            timeout=NETWORK_TIMEOUT_S * 3,
        )

    with file_lock(lock_path(store.path, store.state_path), timeout=policy.budget_s + 30):
        progress("cloning", 0, 1)
        with_retry(clone, policy)
        repo = TeamRepo(store.path, root, state=store.state_path)
        repo.git.run(["config", "core.symlinks", "false"])
        if repo.head() is None:
            _check_out_remote_branch(repo)
        created = repo.head() is None
        if created:
            repo.git.run(["symbolic-ref", "HEAD", "refs/heads/main"])
        if created or not (root / ".gitignore").exists():
            atomic_write(root / ".gitignore", GITIGNORE_TEXT)
        if created and not (root / CONFIG_NAME).exists():
            atomic_write(root / CONFIG_NAME, DEFAULT_TEXT)
        repo.commit_local()
        record_state(store.path, store.state_path, remote=label, created=_now())
    if created:
        sync_team(store, policy=policy, progress=progress)
    else:
        store.sync_index()
        update_authors(repo.git, store.path, store.state_path)
        record_state(store.path, store.state_path, last_sync=_now())
        progress("cloned", 1, 1)
    memories = sum(1 for h in store.scan().memories if h.filename.startswith(TEAM_DIR + "/"))
    return InitResult(root, label, created, memories)


def init_in_repo(store: MemoryDir, path: Path | None, *, cwd: Path | None = None) -> InitResult:
    """Use a folder inside the project's git repository as the team folder.

    memdir reads and writes it; the team's own commits share it.

    Raises:
        ConfigurationError: not in a git repository, the folder is outside it, or a team
            clone already exists.
    """
    from ..paths import find_git_root

    here = Path(cwd or os.getcwd())
    repo_root = find_git_root(path if path is not None else here)
    if repo_root is None:
        raise ConfigurationError(
            "--in-repo needs a git repository; run it inside the project", path=path or here
        )
    folder = (
        Path(os.path.abspath(path)) if path is not None else repo_root / ".claude" / "team-memory"
    )
    if os.path.commonpath([os.path.realpath(folder), os.path.realpath(repo_root)]) != str(
        os.path.realpath(repo_root)
    ):
        raise ConfigurationError("the team folder must be inside the repository", path=folder)
    if (store.path / TEAM_DIR / ".git").exists():
        raise ConfigurationError("a team clone already exists in team/", path=store.path)
    folder.mkdir(parents=True, exist_ok=True)
    store.init()
    record_state(store.path, store.state_path, in_repo=str(folder), repository=str(repo_root))
    store.sync_index()
    memories = sum(1 for h in store.scan().memories if h.filename.startswith(TEAM_DIR + "/"))
    return InitResult(folder, None, False, memories)


__all__ = ["REMOTE", "InitResult", "SyncResult", "init_in_repo", "init_team", "sync_team"]
