"""In-repo mode's guard: a git pre-commit hook that refuses credentials and invalid memories.

In in-repo mode memdir never commits: the team's own commits share the folder. So the
check that sync runs before every push runs here before every commit of the project:
each file staged under the team folder is checked on its staged bytes (`check_blob`).
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigurationError
from ..fsio import atomic_write
from ..paths import find_git_root
from ..store.folder import MemoryDir
from .scope import in_repo_root
from .screen import HeldBack, check_blob

MARKER = "# memdir team memory check"


def hooks_dir(repo_root: Path) -> Path:
    """Where git runs hooks for the repository at `repo_root` (``core.hooksPath`` honoured)."""
    found = subprocess.run(
        ["git", "rev-parse", "--git-path", "hooks"],
        cwd=repo_root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        raise ConfigurationError("not a git repository", path=repo_root)
    path = Path(found.stdout.strip())
    return path if path.is_absolute() else repo_root / path


def hook_script(folder: Path) -> str:
    """The pre-commit hook's text: run the check with this Python for `folder`."""
    command = shlex.join([sys.executable, "-m", "memdir.team.githook", str(folder)])
    return f"#!/bin/sh\n{MARKER}\nexec {command}\n"


def install_git_hook(repo_root: Path, folder: Path) -> Path:
    """Write the pre-commit hook; returns its path.

    Raises:
        ConfigurationError: the repository already has a pre-commit hook of its own (the
            message gives the line to add to it).
    """
    target = hooks_dir(repo_root) / "pre-commit"
    script = hook_script(folder)
    if target.exists() and MARKER not in target.read_text(encoding="utf-8", errors="replace"):
        line = script.splitlines()[-1].removeprefix("exec ")
        raise ConfigurationError(
            f"this repository already has a pre-commit hook; add this line to it: {line}",
            path=target,
        )
    atomic_write(target, script, mode=0o755)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


def install_for(store: MemoryDir) -> Path:
    """Install the hook in the repository holding `store`'s in-repo team folder.

    Raises:
        ConfigurationError: there is no in-repo team folder (`memory team init --in-repo`).
    """
    folder = in_repo_root(store.path, store.state_path)
    if folder is None:
        raise ConfigurationError(
            "the git hook guards an in-repo team folder; `memory team init --in-repo` sets one up",
            path=store.path,
        )
    repo_root = find_git_root(folder)
    if repo_root is None:
        raise ConfigurationError("the in-repo team folder is not in a git repository", path=folder)
    return install_git_hook(repo_root, folder)


def staged_problems(repo_root: Path, folder: Path) -> list[HeldBack]:
    """Files staged for commit under `folder` that must not be committed, and why."""
    relative = os.path.relpath(os.path.realpath(folder), os.path.realpath(repo_root))
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT",
         "--", relative],
        cwd=repo_root, capture_output=True, check=True,
    ).stdout  # fmt: skip
    problems = []
    for raw in staged.split(b"\0"):
        if not raw:
            continue
        path = raw.decode("utf-8", "surrogateescape")
        inside = path[len(relative) + 1 :] if relative != "." else path
        mode = subprocess.run(
            ["git", "ls-files", "-s", "--", path], cwd=repo_root, capture_output=True, text=True,
            check=True,
        ).stdout.split(" ", 1)[0]  # fmt: skip
        if mode == "120000":
            problems.append(HeldBack(path, "a symbolic link (links are never shared)"))
            continue
        data = subprocess.run(
            ["git", "show", f":{path}"], cwd=repo_root, capture_output=True, check=True
        ).stdout
        reason = check_blob(inside, data)
        if reason is not None:
            problems.append(HeldBack(path, reason))
    return problems


def main(argv: list[str]) -> int:
    """The hook: exit 1 (refusing the commit) when a staged team file must not be shared."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m memdir.team.githook TEAM_FOLDER\n")
        return 2
    folder = Path(argv[0])
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
    ).stdout.strip()
    problems = staged_problems(Path(top), folder)
    for problem in problems:
        sys.stderr.write(f"memdir: {problem.path}: {problem.reason}\n")
    if problems:
        sys.stderr.write("memdir: commit refused; fix or unstage these team memories\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
