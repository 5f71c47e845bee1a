"""Gather: the transcripts of the sessions since the last run, for the model pass.

Claude Code keeps a project's session transcripts (``<session>.jsonl``) next to its memory
folder (``<config>/projects/<project>/memory``). When the folder has that shape, the
newest transcripts changed since the last consolidation are the run's evidence of what
recent sessions said; any other folder has none unless the caller passes transcripts.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Transcripts read per run, newest first: the evidence is cut to the newest text anyway.
MAX_TRANSCRIPTS = 5


def recent_transcripts(folder: Path, since: float | None) -> list[Path]:
    """Claude Code transcripts of `folder`'s project changed after `since`, newest first."""
    if folder.name != "memory":
        return []
    found: list[tuple[float, Path]] = []
    try:
        entries = list(os.scandir(folder.parent))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.endswith(".jsonl") or not entry.is_file(follow_symlinks=False):
            continue
        try:
            mtime = entry.stat().st_mtime
        except OSError:
            continue
        if since is None or mtime > since:
            found.append((mtime, Path(entry.path)))
    found.sort(reverse=True)
    return [path for _, path in found[:MAX_TRANSCRIPTS]]
