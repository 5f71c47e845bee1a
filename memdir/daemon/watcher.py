"""Watching one memory folder: the event handler, and what a batch of events does.

watchdog's split is kept: `MemoryEventHandler` matches paths and forwards events to a
sink (an `EventDebouncer`) without touching the disk; `FolderWatch.process_batch`, the
debouncer's callback, syncs ``MEMORY.md`` (through `MemoryDir.sync_index`), checks the
changed files (with `memdir.store.validate.check_file`) and keeps the recall caches warm.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    PatternMatchingEventHandler,
)

from ..progress import Progress
from ..recall.recaller import Recaller
from ..stats import Stats
from ..store.folder import MemoryDir
from ..store.folderindex import IndexedFolder
from ..store.indexsync import SyncResult
from ..store.validate import check_file
from ..store.walk import INDEX_NAME
from ..types import MemoryHeader, ScanReport

if TYPE_CHECKING:
    from ..history import Actor

logger = logging.getLogger("memdir.daemon.service")

MEMORY_PATTERNS = ("**/*.md",)
#: Hidden files (our own atomic-write temporaries among them) and editors' scratch files.
IGNORE_PATTERNS = ("**/.*", "**/*~", "**/*.swp", "**/*.swx", "**/*.tmp", "**/4913")
#: Only events that can change a file's content or existence: watchdog also reports opens
#: and read-only closes, and our own scans would then wake us in a loop.
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
_FORWARDED = frozenset(
    {
        EVENT_TYPE_CREATED,
        EVENT_TYPE_MODIFIED,
        EVENT_TYPE_CLOSED,
        EVENT_TYPE_DELETED,
        EVENT_TYPE_MOVED,
    }
)
#: A query of two ordinary words: enough for the selector to tokenize every header.
_WARM_QUERY = "warm cache"

EventSink = Callable[[FileSystemEvent], None]


class MemoryEventHandler(PatternMatchingEventHandler):
    """Forwards matching file events to `sink`; does no I/O.

    ``ignore_policy="all"`` keeps the rename that completes an atomic write (hidden temp
    file → ``name.md``): with watchdog's default a move is dropped when either path is
    ignored.
    """

    def __init__(self, sink: EventSink, *, patterns: Sequence[str] = MEMORY_PATTERNS) -> None:
        super().__init__(
            patterns=list(patterns),
            ignore_patterns=list(IGNORE_PATTERNS),
            ignore_directories=True,
            case_sensitive=True,
            ignore_policy="all",
        )
        self._sink = sink

    def dispatch(self, event: FileSystemEvent) -> None:
        # Trigger: a whole folder is deleted or moved out of the tree. Why: watchdog then
        # reports only the folder, and ignore_directories would drop it, so the files
        # inside would stay in the index. Outcome: forward it; the batch rescans anyway.
        if event.is_directory:
            if event.event_type in (EVENT_TYPE_DELETED, EVENT_TYPE_MOVED):
                self._sink(event)
            return
        super().dispatch(event)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _FORWARDED:
            self._sink(event)


def changed_paths(events: Iterable[FileSystemEvent], root: Path) -> set[str]:
    """Relative paths (forward slashes) the events touch inside `root`, hidden ones left out."""
    root_text = os.path.abspath(root)
    out: set[str] = set()
    for event in events:
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            path = os.fsdecode(raw)
            try:
                rel = os.path.relpath(path, root_text)
            except ValueError:
                continue
            parts = rel.split(os.sep)
            if rel == "." or parts[0] == ".." or any(p.startswith(".") for p in parts):
                continue
            if event.is_directory or rel.endswith(".md"):
                out.add("/".join(parts))
    return out


class SharedStore(MemoryDir):
    """A `MemoryDir` for the daemon: scans are serialised (the batch thread and the socket
    threads share one header cache) and, between file events, not repeated at all.

    The observer tells the store the moment anything changes (`invalidate`, called from
    the event handler before debouncing), so while nothing happens a recall reuses the
    last scan instead of calling ``stat`` on every file. A full scan still runs at least
    every `RESCAN_S` seconds, on demand, so an event the kernel dropped cannot hide a
    change for long; nothing polls.
    """

    RESCAN_S = 30.0

    def sync_index(
        self,
        *,
        dry_run: bool = False,
        previous: Mapping[str, MemoryHeader] | None = None,
        report: ScanReport | None = None,
        actor: Actor | str | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """The index sync, not recorded on its own: `FolderWatch.record_hand_edits` records
        the batch after a quiet period, off the batch thread."""
        return IndexedFolder.sync_index(
            self, dry_run=dry_run, previous=previous, report=report, progress=progress
        )

    def __init__(self, path: Path | str, *, state: Path | None = None) -> None:
        super().__init__(path, state=state)
        self._scan_lock = threading.Lock()
        self._generation = 0
        self._report: ScanReport | None = None
        self._report_generation = -1
        self._report_at = 0.0

    def invalidate(self) -> None:
        """Something in the folder changed: the next scan walks it again."""
        self._generation += 1

    def scan(self, *, use_cache: bool = True, progress: Progress | None = None) -> ScanReport:
        with self._scan_lock:
            now = time.monotonic()
            if (
                use_cache
                and self._report is not None
                and self._report_generation == self._generation
                and now - self._report_at < self.RESCAN_S
            ):
                return self._report
            # Read the generation first: an event during the walk leaves the result stale.
            generation = self._generation
            report = super().scan(use_cache=use_cache, progress=progress)
            self._report, self._report_generation, self._report_at = report, generation, now
            return report


class RecallerPool:
    """Long-lived `Recaller`s for one folder, one per project root, sharing the warm parts
    (the store's header cache, the offline selector's token cache, the model client)."""

    def __init__(self, store: MemoryDir, *, size: int = 8) -> None:
        self.base = Recaller(store, project_root=None)
        self._size = size
        self._by_root: OrderedDict[str, Recaller] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, project_root: Path | None) -> Recaller:
        """The recaller checking references against `project_root` (None: no checks)."""
        if project_root is None:
            return self.base
        key = os.path.abspath(project_root)
        with self._lock:
            recaller = self._by_root.get(key)
            if recaller is None:
                base = self.base
                recaller = Recaller(
                    base.store, model=base.model, config=base.config, project_root=Path(key)
                )
                recaller.selector = base.selector
                self._by_root[key] = recaller
                while len(self._by_root) > self._size:
                    self._by_root.popitem(last=False)
            self._by_root.move_to_end(key)
            return recaller

    def warm(self, memories: Sequence[MemoryHeader]) -> None:
        """Tokenize new or changed headers now, so the next recall does not pay for it."""
        self.base.selector.rank(_WARM_QUERY, memories, limit=1)


class Counters:
    """The daemon's running totals, mirrored into the shared `Stats` file as daemon_*."""

    NAMES = (
        "events", "batches", "syncs", "index_writes", "invalid_files",
        "extractions_scheduled", "recalls", "errors",
    )  # fmt: skip

    def __init__(self, state_dir: Path, on_change: Callable[[], None] | None = None) -> None:
        self._counts = dict.fromkeys(self.NAMES, 0)
        self._errors: list[str] = []
        self._lock = threading.Lock()
        self._stats = Stats(state_dir)
        self.on_change = on_change

    def add(self, *, persist: bool = True, **counts: int) -> None:
        """Add to the totals; with `persist`, also to `Stats` and the status file."""
        with self._lock:
            for name, value in counts.items():
                self._counts[name] = self._counts.get(name, 0) + value
        if not persist:
            return
        self._stats.bump(**{f"daemon_{name}": value for name, value in counts.items()})
        if self.on_change is not None:
            self.on_change()

    def error(self, message: str) -> None:
        """Count an error and keep its message for the status file (the last ten)."""
        logger.error("%s", message)
        with self._lock:
            self._errors = [*self._errors, message][-10:]
        self.add(errors=1)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"counts": dict(self._counts), "recent_errors": list(self._errors)}


class FolderWatch:
    """Everything the daemon does for one memory folder."""

    def __init__(self, path: Path, *, state_dir: Path, counters: Counters) -> None:
        self.store = SharedStore(path, state=state_dir)
        self.counters = counters
        self.recallers = RecallerPool(self.store)
        self.last_batch: dict[str, Any] | None = None
        self._headers: dict[str, MemoryHeader] = {}
        self._index_text: str | None = None
        self._before = ""
        #: Told after every index sync; the service records hand edits once it is quiet.
        self.history_sink: Callable[[Any], None] | None = None

    def record_hand_edits(self, _batches: list[Any] | None = None) -> None:
        """Record what people changed (and the index syncs) as one hand-edit operation."""
        try:
            self.store.recorder.record(self.store.actor_for("hand-edit"))
        except Exception as exc:  # noqa: BLE001 - the daemon must outlive a failed record
            logger.exception("recording hand edits failed")
            self.counters.error(f"{self.path}: history: {type(exc).__name__}: {exc}")

    @property
    def path(self) -> Path:
        return self.store.path

    def reconcile(self) -> SyncResult:
        """Sync the index with whatever changed while no daemon ran, and warm the caches."""
        report = self.store.scan()
        outcome = self._sync(report)
        self.counters.add(syncs=1, index_writes=int(outcome.text != self._before))
        problems = report.problems
        for problem in problems:
            logger.warning(
                "%s: field '%s': %s", problem.path, problem.field or "file", problem.reason
            )
        logger.info(
            "%s: %d memories, %d unreadable, index +%d -%d",
            self.path, len(report.memories), len(problems),
            len(outcome.changes.added), len(outcome.changes.removed),
        )  # fmt: skip
        return outcome

    def _sync(self, report: ScanReport) -> SyncResult:
        """The store's one index sync; the last scan's headers let it rewrite the lines it
        generated even when its record of them is gone."""
        self._before = self.store.read_index()
        # Not recorded here: recording a burst of files would hold up the next batch's
        # index. `history_sink` (the service's quiet-period debouncer) records it after.
        outcome = self.store.sync_index(previous=self._headers, report=report)
        if self.history_sink is not None:
            self.history_sink(report)
        self._headers = {h.filename: h for h in report.memories}
        self._index_text = outcome.text
        self.recallers.warm(report.memories)
        return outcome

    def process_batch(self, events: list[FileSystemEvent]) -> None:
        """The debouncer's callback: sync, validate, refresh caches; never raises."""
        started = time.monotonic()
        self.store.invalidate()  # the events say so, whoever delivered them
        try:
            self._process(events, started)
        except Exception as exc:  # noqa: BLE001 - the daemon must outlive any one batch
            logger.exception("batch of %d events failed", len(events))
            self.counters.error(f"{self.path}: batch failed: {type(exc).__name__}: {exc}")

    def _process(self, events: list[FileSystemEvent], started: float) -> None:
        paths = changed_paths(events, self.path)
        if not paths:
            self.counters.add(events=len(events))
            return
        if paths == {INDEX_NAME} and self.store.read_index() == self._index_text:
            # Our own write of MEMORY.md (or a touch that changed nothing): no resync.
            self.counters.add(events=len(events))
            return
        outcome = self._sync(self.store.scan())
        invalid = 0
        for rel in sorted(paths - {INDEX_NAME}):
            file = self.path / rel
            if not rel.endswith(".md") or not os.path.lexists(file):
                continue
            problems = check_file(file)
            invalid += bool(problems)
            for _rule, field, message in problems:
                logger.warning("%s: field '%s': %s", file, field or "file", message)
        wrote = outcome.text != self._before
        self.last_batch = {
            "at": time.time(),
            "events": len(events),
            "files": len(paths),
            "added": len(outcome.changes.added),
            "removed": len(outcome.changes.removed),
            "rewritten": len(outcome.rewritten),
            "invalid": invalid,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        if wrote:
            logger.info(
                "%s: %d events, index +%d -%d ~%d", self.path, len(events),
                len(outcome.changes.added), len(outcome.changes.removed), len(outcome.rewritten),
            )  # fmt: skip
        self.counters.add(
            events=len(events), batches=1, syncs=1, index_writes=int(wrote), invalid_files=invalid
        )
