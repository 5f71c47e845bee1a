"""The staging copy a run works on, and snapshots of a folder's bytes.

A run never edits the memory folder: it copies it into the state folder and works there.
A snapshot (relative path -> bytes, index included) of the folder taken at that moment is
what apply later checks the folder against, so a change made meanwhile is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from ..fsio import atomic_write
from ..progress import Progress, no_progress
from ..store.scan import iter_markdown
from ..store.walk import INDEX_NAME
from ..team.scope import TEAM_PREFIX

Snapshot = Mapping[str, bytes]
#: The step `stage` reports to a `Progress`.
COPYING = "copying the folder"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every memory file's bytes by relative path, plus ``MEMORY.md`` when present."""
    out: dict[str, bytes] = {}
    root = Path(os.path.realpath(folder))
    if not root.is_dir():
        return out
    for entry in iter_markdown(root):
        if entry.is_symlink():
            continue  # a link is not a memory of this folder; never follow it
        relative = Path(entry.path).relative_to(root).as_posix()
        with contextlib.suppress(OSError):
            out[relative] = Path(entry.path).read_bytes()
    index = root / INDEX_NAME
    if index.is_file() and not index.is_symlink():
        out[INDEX_NAME] = index.read_bytes()
    return out


def stage(folder: Path, target: Path, progress: Progress = no_progress) -> dict[str, bytes]:
    """Copy the folder's memories and index into `target` (replaced if present).

    File times are kept, since a memory's age (and the date its relative dates are read
    against) comes from them when it has no ``updated:`` date. Returns the snapshot.
    `progress` hears ``("copying the folder", done, total)`` after each file.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    root = Path(os.path.realpath(folder))
    taken = snapshot(folder)
    progress(COPYING, 0, len(taken))
    for done, (relative, data) in enumerate(taken.items(), start=1):
        destination = target / relative
        atomic_write(destination, data, durable=False)
        with contextlib.suppress(OSError):
            st = (root / relative).stat()
            os.utime(destination, ns=(st.st_atime_ns, st.st_mtime_ns))
        progress(COPYING, done, len(taken))
    return taken


def discard(target: Path) -> None:
    """Remove a staging copy (best effort)."""
    shutil.rmtree(target, ignore_errors=True)


def is_team(relative: str) -> bool:
    """Whether `relative` is a team memory (synced through git): a run leaves those as they
    are, since retiring one here would retire it for everybody."""
    return relative.startswith(TEAM_PREFIX)
