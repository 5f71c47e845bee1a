"""Apply a plan to the real folder: all of it or none of it, as one history operation.

1. The run's files are laid out first, in the state folder: the bytes after the run
   (``runs/<run>/after/``), the bytes before (``runs/<run>/before/``), and the memories it
   retires or merges away (``archive/<run>/`` with ``ARCHIVE.json``: they are never
   deleted without a trace).
2. The journal ``applying.json`` is written (atomically): the list of files to write and
   to delete.
3. Under ``apply.lock`` (an ``flock``, dropped by the kernel if the process dies) and the
   index lock, the folder is checked against the snapshot the run started from (a change
   made meanwhile is never overwritten: the run is refused), then every file is written
   atomically, deletions made, and the index written last. This step is one history
   operation of actor ``dream``, so ``memory undo`` reverts the whole run.
4. The journal is removed.

A crash (``kill -9`` included) in step 3 leaves the journal: `recover`, called by the next
run, ``memory dream`` command or trigger check, rolls the apply forward from the laid-out
bytes, so the folder ends as it would have after the run, never in between.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import LockTimeoutError, StoreIOError
from ..fsio import atomic_write, confine, read_json_object, try_lock
from ..progress import Progress, no_progress
from ..store.folder import MemoryDir
from ..store.walk import INDEX_NAME
from .guard import record_retired
from .layout import DreamFiles
from .plan import Action, Plan
from .staging import is_team, snapshot


@contextlib.contextmanager
def history_operation(folder: Path, state: Path, detail: str | None) -> Iterator[None]:
    """The block as one recorded history operation of actor ``dream`` (a no-op when
    history is off), so ``memory undo`` reverts the whole run."""
    from ..history import Actor, History

    with History.for_folder(folder, state_dir=state).operation(Actor("dream", detail)):
        yield


def changes_between(
    before: Mapping[str, bytes], after: Mapping[str, bytes]
) -> dict[str, bytes | None]:
    """Path -> new bytes (None: delete) for every file that differs; team files left out."""
    out: dict[str, bytes | None] = {}
    for path in sorted(set(before) | set(after)):
        if is_team(path):
            continue
        if before.get(path) != after.get(path):
            out[path] = after.get(path)
    return out


def lay_out(
    files: DreamFiles,
    run_id: str,
    before: Mapping[str, bytes],
    after: Mapping[str, bytes],
    plan: Plan,
) -> dict[str, Any]:
    """Write the before/after copies and the archive; returns the journal (not yet written)."""
    changes = changes_between(before, after)
    run_dir = files.run_dir(run_id)
    for path, data in changes.items():
        if path in before:
            atomic_write(run_dir / "before" / path, before[path], mode=0o600)
        if data is not None:
            atomic_write(run_dir / "after" / path, data, mode=0o600)
    gone = [
        e for e in plan.entries if e.action in (Action.ARCHIVED, Action.MERGED) and e.file in before
    ]
    if gone:
        archive = files.archive(run_id)
        for entry in gone:
            atomic_write(archive / entry.file, before[entry.file], mode=0o600)
        record = {e.file: e.to_json() for e in gone}
        atomic_write(archive / "ARCHIVE.json", json.dumps(record, indent=2), mode=0o600)
    return {
        "run": run_id,
        "writes": [p for p, d in changes.items() if d is not None],
        "deletes": [p for p, d in changes.items() if d is None],
        "retired": [e.file for e in plan.retired],
        "started": time.time(),
    }


def apply(
    store: MemoryDir,
    files: DreamFiles,
    run_id: str,
    *,
    before: Mapping[str, bytes],
    after: Mapping[str, bytes],
    plan: Plan,
    progress: Progress = no_progress,
) -> None:
    """Apply the staged result to the folder, atomically as a whole (see the module doc).

    `progress` hears ``("applying", done, total)`` after each file written or deleted.

    Raises:
        StoreIOError: the folder changed since the run started; nothing was applied.
        LockTimeoutError: another apply is running for this folder.
    """
    journal = lay_out(files, run_id, before, after, plan)
    held = try_lock(files.apply_lock)
    if held is None:
        raise LockTimeoutError(
            "another consolidation is applying to this folder", path=files.folder
        )
    try:
        with history_operation(store.path, store.state_path, run_id), store.index_lock():
            now = snapshot(store.path)
            drift = sorted(
                p for p in set(now) | set(before) if not is_team(p) and now.get(p) != before.get(p)
            )
            if drift:
                raise StoreIOError(
                    f"the folder changed while the run worked ({', '.join(drift[:5])}); "
                    "nothing was applied: run `memory dream` again",
                    path=store.path,
                )
            atomic_write(files.journal, json.dumps(journal), mode=0o600)
            _roll_forward(store.path, files, journal, progress)
        _finish(files, journal)
    finally:
        held.release()


def _roll_forward(
    folder: Path,
    files: DreamFiles,
    journal: Mapping[str, Any],
    progress: Progress = no_progress,
) -> None:
    """Make the folder what the run left in ``after/``; safe to repeat after a crash."""
    after = files.run_dir(str(journal["run"])) / "after"
    writes: Sequence[str] = journal["writes"]
    deletes: Sequence[str] = journal["deletes"]
    total = len(writes) + len(deletes)
    progress("applying", 0, total)
    # The index last: until it is written, it still lists every file it listed before.
    for done, path in enumerate(sorted(writes, key=lambda p: p == INDEX_NAME), start=1):
        atomic_write(confine(folder, path), (after / path).read_bytes())
        progress("applying", done, total)
    for done, path in enumerate(deletes, start=len(writes) + 1):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(confine(folder, path))
        progress("applying", done, total)


def _finish(files: DreamFiles, journal: Mapping[str, Any]) -> None:
    run_id = str(journal["run"])
    try:
        recorded = run_id in files.ledger.read_text(encoding="utf-8")
    except OSError:
        recorded = False
    if not recorded:
        record_retired(files, run_id, journal.get("retired", []), now=float(journal["started"]))
    files.mark_consolidated(float(journal["started"]))
    with contextlib.suppress(FileNotFoundError):
        files.journal.unlink()


def pending(files: DreamFiles) -> dict[str, Any] | None:
    """The journal of an apply that did not finish, if any."""
    return read_json_object(files.journal)


def recover(store: MemoryDir, files: DreamFiles) -> str | None:
    """Finish an apply a crash interrupted; the run id it finished, or None.

    Does nothing while an apply is running (its ``apply.lock`` is held).
    """
    journal = pending(files)
    if journal is None:
        return None
    held = try_lock(files.apply_lock)
    if held is None:
        return None
    try:
        journal = pending(files)
        if journal is None:
            return None
        run_id = str(journal["run"])
        with (
            history_operation(store.path, store.state_path, f"{run_id} (recovered)"),
            store.index_lock(),
        ):
            _roll_forward(store.path, files, journal)
        _finish(files, journal)
        return run_id
    finally:
        held.release()
