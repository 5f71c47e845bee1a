"""One team folder's git clone: commit what may be shared, fetch, integrate, push.

The steps of a sync, each one git-level operation on the clone; the order, the lock and
the retry live in `memdir.team.sync`. Files the screen holds back are never staged, and
integrating never overwrites them: they stay as they are on this machine.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError
from ..fsio import atomic_write, confine
from ..paths import folder_key
from .gitcli import NETWORK_TIMEOUT_S, Git, redact
from .merge import EMPTY_TREE, MergeOutcome, blob_id, conflict_name, merge, read_blobs, tree_entries
from .scope import TEAM_DIR
from .screen import HeldBack, check_blob, check_file

REMOTE = "origin"


@dataclass(frozen=True, slots=True)
class Integrated:
    """What integrating the remote's history changed here."""

    received: tuple[str, ...] = ()
    outcome: MergeOutcome | None = None
    raced: tuple[str, ...] = ()


def _paths(raw: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p]


class TeamRepo:
    """The git clone holding a memory folder's team memories."""

    def __init__(self, memory_dir: Path, root: Path, *, state: Path) -> None:
        self.memory_dir = memory_dir
        self.root = root
        self.state = state
        self.git = Git(root)
        self.git.remote_label = self.remote_label
        self._branch: str | None = None

    @classmethod
    def open(cls, memory_dir: Path, *, state: Path) -> TeamRepo:
        """The clone in ``memory_dir/team``.

        Raises:
            ConfigurationError: there is no team clone there.
        """
        root = memory_dir / TEAM_DIR
        if root.is_symlink() or not (root / ".git").is_dir():
            raise ConfigurationError(
                "no team folder here; `memory team init REMOTE` sets one up", path=root
            )
        return cls(memory_dir, root, state=state)

    # -- facts -----------------------------------------------------------------------

    @property
    def remote_url(self) -> str:
        found = self.git.run(["config", "--get", f"remote.{REMOTE}.url"], check=False)
        return found.text.strip()

    @property
    def remote_label(self) -> str:
        """The remote as it may be shown: credentials in the URL replaced by ``***``."""
        return redact(self.remote_url) or "(no remote)"

    @property
    def branch(self) -> str:
        if self._branch is None:
            found = self.git.run(["symbolic-ref", "--short", "-q", "HEAD"], check=False)
            self._branch = found.text.strip() or "main"
        return self._branch

    def rev(self, ref: str) -> str | None:
        found = self.git.run(["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], check=False)
        return found.text.strip() or None

    def head(self) -> str | None:
        return self.rev("HEAD")

    def upstream(self) -> str | None:
        return self.rev(f"refs/remotes/{REMOTE}/{self.branch}")

    def scratch(self) -> Path:
        return self.state / "team" / f"{folder_key(self.memory_dir)}.scratch"

    def count(self, spec: str) -> int:
        return int(self.git.out("rev-list", "--count", spec) or 0)

    # -- local changes ---------------------------------------------------------------

    def changed_paths(self) -> list[str]:
        """Paths that differ from HEAD in the working tree (new, changed or deleted)."""
        raw = self.git.run(
            ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
        ).stdout
        return [record[3:] for record in _paths(raw) if len(record) > 3]

    def screen_changes(self) -> tuple[list[str], list[HeldBack]]:
        """Changed paths split into those that may be shared and those held back."""
        ok: list[str] = []
        held: list[HeldBack] = []
        for path in self.changed_paths():
            reason = check_file(self.root, path)
            if reason is None:
                ok.append(path)
            else:
                held.append(HeldBack(path, reason))
        return ok, held

    def ensure_identity(self) -> None:
        """Give commits an author when git has none configured on this machine."""
        if not self.git.out("config", "user.name", check=False) and not os.environ.get(
            "GIT_AUTHOR_NAME"
        ):
            import getpass

            user = getpass.getuser()
            self.git.run(["config", "user.name", user])
            self.git.run(["config", "user.email", f"{user}@{socket.gethostname()}"])

    def commit_local(self) -> tuple[list[str], list[HeldBack]]:
        """Commit every change that may be shared; returns (committed paths, held back)."""
        ok, held = self.screen_changes()
        if held:
            # Never staged, even if someone ran `git add` by hand in the folder.
            self.git.run(
                ["reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul"],
                input=b"\0".join(f":(literal){h.path}".encode() for h in held),
                check=False,
            )
        if not ok:
            return [], held
        self.git.run(
            ["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
            input=b"\0".join(f":(literal){p}".encode() for p in ok),
        )
        if self.git.run(["diff", "--cached", "--quiet"], check=False).code == 0:
            return [], held
        self.ensure_identity()
        self.git.run(["commit", "-q", "--no-verify", "-m", _summary(ok, self.root)])
        return ok, held

    # -- the remote ------------------------------------------------------------------

    def fetch(self) -> None:
        """Fetch the remote's branches (network: classified, may be retried)."""
        self.git.run(
            ["fetch", "--quiet", "--no-tags", "--prune", REMOTE],
            network=True,
            timeout=NETWORK_TIMEOUT_S,
        )

    def push(self) -> None:
        """Push HEAD to the remote's branch; a lost race raises a "rejected" error."""
        self.git.run(
            ["push", "--quiet", "--no-verify", REMOTE, f"HEAD:refs/heads/{self.branch}"],
            network=True,
            timeout=NETWORK_TIMEOUT_S,
        )

    def outgoing_problems(self) -> list[HeldBack]:
        """Files in the commits about to be pushed that must not leave: checked on the
        exact bytes, just before every push."""
        head = self.head()
        if head is None:
            return []
        theirs = self.upstream()
        raw = self.git.run(
            [
                "diff-tree",
                "-r",
                "-z",
                "--no-renames",
                "--diff-filter=AMT",
                theirs or EMPTY_TREE,
                head,
            ]
        ).stdout.split(b"\0")
        outgoing: dict[str, tuple[str, str]] = {}
        # Records: ":oldmode newmode oldid newid status" then the path.
        for meta, raw_path in zip(raw[0::2], raw[1::2], strict=False):
            fields = meta.decode().split()
            if len(fields) == 5:
                outgoing[raw_path.decode("utf-8", "surrogateescape")] = (fields[1], fields[3])
        blobs = read_blobs(self.git, {oid for mode, oid in outgoing.values() if mode != "120000"})
        found = []
        for path, (mode, oid) in sorted(outgoing.items()):
            if mode == "120000":
                found.append(HeldBack(path, "a symbolic link (links are never shared)"))
                continue
            reason = check_blob(path, blobs[oid])
            if reason is not None:
                found.append(HeldBack(path, reason))
        return found

    # -- integrating -----------------------------------------------------------------

    def integrate(self, held: set[str]) -> Integrated:
        """Bring the fetched remote branch into HEAD and the working tree."""
        theirs = self.upstream()
        ours = self.head()
        if theirs is None or theirs == ours:
            return Integrated()
        outcome = None
        if ours is not None and self.git.ok("merge-base", "--is-ancestor", theirs, ours):
            return Integrated()
        if ours is None or self.git.ok("merge-base", "--is-ancestor", ours, theirs):
            new = theirs
        else:
            self.ensure_identity()
            outcome = merge(
                self.git,
                ours,
                theirs,
                scratch=self.scratch(),
                message=f"memdir: merge the team's changes ({socket.gethostname()})",
            )
            new = outcome.commit
        received, raced = self._apply(ours, new, held)
        return Integrated(tuple(received), outcome, tuple(raced))

    def _apply(self, old: str | None, new: str, held: set[str]) -> tuple[list[str], list[str]]:
        """Move HEAD, the index and the working tree from `old` to `new`.

        A file changed here since `old` (held back, or written while this ran) is not
        overwritten: the incoming version is saved beside it as a conflict copy.
        """
        before = tree_entries(self.git, old)
        after = tree_entries(self.git, new)
        changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        received: list[str] = []
        raced: list[str] = []
        taken = set(after)
        blobs = read_blobs(self.git, {after[p][1] for p in changed if p in after})
        for path in changed:
            target = confine(self.root, path)
            was, now = before.get(path), after.get(path)
            if path in held or not self._matches(target, was):
                if now is not None:
                    copy = conflict_name(path, new, taken)
                    taken.add(copy)
                    atomic_write(confine(self.root, copy), blobs[now[1]])
                    raced.append(copy)
                continue
            if now is None:
                target.unlink(missing_ok=True)
            else:
                atomic_write(target, blobs[now[1]])
            received.append(path)
        ref_args = ["update-ref", "-m", "memdir: integrate", "HEAD", new]
        self.git.run([*ref_args, old] if old else ref_args)
        self.git.run(["read-tree", new])
        self.git.run(["update-index", "-q", "--refresh"], check=False)
        return received, raced

    def _matches(self, target: Path, entry: tuple[str, str] | None) -> bool:
        """Whether the working-tree file is exactly `entry` (both absent counts)."""
        if entry is None:
            return not os.path.lexists(target)
        if os.path.islink(target) or not target.is_file():
            return False
        try:
            return blob_id(target.read_bytes()) == entry[1]
        except OSError:
            return False


def _summary(paths: list[str], root: Path) -> str:
    """One line naming what a local commit adds, changes and removes."""
    added = [p for p in paths if (root / p).exists()]
    removed = [p for p in paths if not (root / p).exists()]
    parts = []
    if added:
        parts.append("save " + ", ".join(added[:5]) + (" ..." if len(added) > 5 else ""))
    if removed:
        parts.append("remove " + ", ".join(removed[:5]) + (" ..." if len(removed) > 5 else ""))
    return f"memdir: {'; '.join(parts)} ({socket.gethostname()})"
