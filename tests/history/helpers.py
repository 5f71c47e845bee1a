"""Shared helpers for history tests: a store, a memory's text, and git plumbing checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from memdir import MemoryDir

# A credential-shaped value built at run time, so the test file itself holds none.
PLANTED = "sk-ant-api03-" + "Zq8vR2mXk4Lp9Tn7Wc3Yb6Hd1Jf5Gs0Ae" + "Qw2Er4Ty6Ui8Op0As"


def memory_text(name: str, description: str, body: str, type_: str = "project") -> str:
    return f"---\nname: {name}\ndescription: {description}\ntype: {type_}\n---\n\n{body}\n"


def git(store: MemoryDir, *args: str, data: bytes | None = None) -> bytes:
    """Run git on the store's history repository (the test is skipped without git)."""
    exe = shutil.which("git")
    assert exe is not None
    return subprocess.run(
        [exe, f"--git-dir={store.recorder.path}", *args],
        input=data,
        capture_output=True,
        check=True,
    ).stdout


def all_objects(store: MemoryDir) -> bytes:
    """The content of every object in the history's repository, concatenated."""
    return git(store, "cat-file", "--batch-all-objects", "--batch")


def files_of(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*.md"))}
