"""Where consolidation keeps its files: ``<state>/dream/<folder key>/``.

- ``last``: its mtime is when the folder was last consolidated (absent: never);
- ``lock.guard`` and ``holder.json``: the run lock (see `memdir.dream.lock`);
- ``apply.lock`` and ``applying.json``: held during apply; the journal a crash leaves;
- ``staging/<run>/``: the copy a run works on (kept while its plan is held);
- ``runs/<run>/``: the run's record (``run.json``), and the bytes before and after;
- ``archive/<run>/``: memories the run retired, with ``ARCHIVE.json`` giving reasons;
- ``retired.jsonl``: every retirement, for the erosion budget over days.

Nothing here is inside the memory folder: Claude Code's folder holds only memories.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..fsio import read_json_object
from ..paths import folder_key

#: Run records kept; older ones (and their before/after copies) are removed.
KEEP_RUNS = 30


@dataclass(frozen=True, slots=True)
class DreamFiles:
    """The paths of one memory folder's consolidation state."""

    folder: Path
    root: Path

    @classmethod
    def for_folder(cls, folder: Path, state: Path) -> DreamFiles:
        folder = Path(os.path.abspath(folder))
        return cls(folder, Path(state) / "dream" / folder_key(folder))

    @property
    def last(self) -> Path:
        return self.root / "last"

    @property
    def attempt(self) -> Path:
        """Its mtime is when a trigger last started a run (successful or not)."""
        return self.root / "attempt"

    @property
    def guard(self) -> Path:
        return self.root / "lock.guard"

    @property
    def holder(self) -> Path:
        return self.root / "holder.json"

    @property
    def apply_lock(self) -> Path:
        return self.root / "apply.lock"

    @property
    def journal(self) -> Path:
        return self.root / "applying.json"

    @property
    def ledger(self) -> Path:
        return self.root / "retired.jsonl"

    def staging(self, run_id: str) -> Path:
        return self.root / "staging" / run_id

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def archive(self, run_id: str) -> Path:
        return self.root / "archive" / run_id

    def last_consolidated(self) -> float | None:
        """When the folder was last consolidated (a timestamp), or None if never."""
        try:
            return self.last.stat().st_mtime
        except OSError:
            return None

    def mark_consolidated(self, when: float) -> None:
        """Move "last consolidated" to `when` (only a finished run does this)."""
        self.last.parent.mkdir(parents=True, exist_ok=True)
        self.last.touch()
        os.utime(self.last, (when, when))

    def load_run(self, run_id: str) -> dict[str, Any] | None:
        """A run's saved record (``runs/<run>/run.json``), or None when unreadable."""
        return read_json_object(self.run_dir(run_id) / "run.json")

    def run_ids(self) -> list[str]:
        """Recorded runs, oldest first (ids sort by time)."""
        try:
            return sorted(p.name for p in (self.root / "runs").iterdir() if p.is_dir())
        except OSError:
            return []


def tidy(files: DreamFiles, *, keep_staging: str | None = None) -> None:
    """Remove staging copies left by killed runs (all but `keep_staging`) and the
    before/after copies of all but the newest `KEEP_RUNS` runs; run records and the
    archive are kept, so nothing a run retired is ever lost."""
    import shutil

    # The staging copies' own caches and locks: useless once their run is over.
    shutil.rmtree(files.root / "scratch", ignore_errors=True)
    with contextlib.suppress(OSError):
        for path in (files.root / "staging").iterdir():
            if path.name != keep_staging:
                shutil.rmtree(path, ignore_errors=True)
    for run_id in files.run_ids()[:-KEEP_RUNS]:
        for part in ("before", "after"):
            shutil.rmtree(files.run_dir(run_id) / part, ignore_errors=True)


def new_run_id(now: float | None = None) -> str:
    """A sortable, unique run id: UTC time plus a short random tail."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(2)}"
