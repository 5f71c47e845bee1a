"""`memory watch`: the daemon that keeps memory folders true and serves recall warm.

Wiring, after watchdog's own split: one observer; per memory folder a
`MemoryEventHandler` (matching only, no I/O) feeding an `EventDebouncer`, whose callback
is `FolderWatch.process_batch` (sync the index, validate, warm the caches); per folder a
`LineServer` answering recall on a Unix socket; optionally transcript folders feeding a
`TranscriptWatch` that schedules extraction. Files, locks, status, start and stop helpers
live in `memdir.daemon.files`; the foreground process (signals, log files) in
`memdir.daemon.foreground`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..paths import state_dir as default_state_dir
from .files import (
    DEFAULT_DEBOUNCE_S,
    DRAIN_TIMEOUT_S,
    TRANSCRIPT_DEBOUNCE_S,
    DaemonFiles,
    FolderLocks,
    ping_payload,
    prepare_dirs,
    utc_now,
    write_json,
)
from .idle_dream import IdleDreamer
from .server import LineServer, RequestHandler
from .transcript_watch import TRANSCRIPT_PATTERNS, Scheduler, TranscriptWatch
from .watcher import WATCHED_EVENTS, Counters, FolderWatch, MemoryEventHandler

#: Quiet time after the last index sync before the daemon records hand edits in history.
HISTORY_QUIET_S = 1.0

__all__ = ["WatchDaemon"]

logger = logging.getLogger("memdir.daemon.service")


class WatchDaemon:
    """Watches memory folders (and transcript folders) and serves recall until stopped.

    `start` returns once the index is reconciled and the sockets answer; `stop` undoes
    everything and may be called more than once. Use `run_daemon` for the foreground
    process with signal handling.
    """

    def __init__(
        self,
        memory_dirs: Sequence[Path],
        *,
        transcripts: Sequence[Path] = (),
        state_dir: Path | None = None,
        debounce_s: float = DEFAULT_DEBOUNCE_S,
        scheduler: Scheduler | None = None,
    ) -> None:
        folders = list(dict.fromkeys(Path(os.path.abspath(d)) for d in memory_dirs))
        if not folders:
            raise ConfigurationError("no memory folder to watch")
        self.state_dir = state_dir if state_dir is not None else default_state_dir()
        self.files = [DaemonFiles.for_folder(f, state_dir=self.state_dir) for f in folders]
        self.transcript_dirs = list(dict.fromkeys(Path(os.path.abspath(t)) for t in transcripts))
        self.debounce_s = debounce_s
        self.started: str | None = None
        self.counters = Counters(self.state_dir, on_change=self.write_status)
        self.watches: list[FolderWatch] = []
        self.transcripts: TranscriptWatch | None = None
        self._scheduler = scheduler
        self._extractions: Any = None  # an ExtractionQueue, made on the first request
        self._locks = FolderLocks(self.files)
        self._idle = IdleDreamer([f.folder for f in self.files], self.state_dir)
        self._observer: Any = None
        self._team_syncs: dict[Path, Any] = {}  # folder -> memdir.team BackgroundSync
        self._debouncers: list[Any] = []
        self._servers: list[LineServer] = []
        self._state_lock = threading.Lock()
        self._owns_files = False
        self._running = False

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Take the folders, reconcile them, start watching and serving.

        Raises:
            DaemonAlreadyRunningError: another daemon holds one of the folders.
            ConfigurationError: a transcript folder is missing or a socket cannot be made.
        """
        for folder in self.transcript_dirs:
            if not folder.is_dir():
                raise ConfigurationError("transcript folder does not exist", path=folder)
        prepare_dirs(self.state_dir, self.files)
        self._locks.acquire()
        self._owns_files = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from watchdog.observers import Observer
        from watchdog.utils.event_debouncer import EventDebouncer

        self.started = utc_now()
        observer = Observer()
        self._observer = observer
        for files in self.files:
            files.folder.mkdir(parents=True, exist_ok=True)
            watch = FolderWatch(files.folder, state_dir=self.state_dir, counters=self.counters)
            debouncer = EventDebouncer(self.debounce_s, watch.process_batch)
            team = self._team_sync_for(files.folder)
            handler = MemoryEventHandler(_invalidating(watch, debouncer.handle_event, team))
            observer.schedule(
                handler, str(files.folder), recursive=True, event_filter=WATCHED_EVENTS
            )
            self.watches.append(watch)
            self._debouncers.append(debouncer)
            # Hand edits go into history once the folder has been quiet for a while, off
            # the batch thread; stopping the debouncer records what is still pending.
            recorder = EventDebouncer(HISTORY_QUIET_S, watch.record_hand_edits)
            watch.history_sink = recorder.handle_event
            self._debouncers.append(recorder)
        if self.transcript_dirs:
            transcripts = TranscriptWatch(
                self.transcript_dirs,
                memory_dirs=[f.folder for f in self.files],
                state_dir=self.state_dir,
                counters=self.counters,
                scheduler=self._scheduler,
            )
            known = transcripts.baseline()
            logger.info("%d existing transcripts; only new turns are extracted", known)
            debouncer = EventDebouncer(TRANSCRIPT_DEBOUNCE_S, transcripts.process_batch)
            handler = MemoryEventHandler(debouncer.handle_event, patterns=TRANSCRIPT_PATTERNS)
            for folder in self.transcript_dirs:
                observer.schedule(handler, str(folder), recursive=True, event_filter=WATCHED_EVENTS)
            self.transcripts = transcripts
            self._debouncers.append(debouncer)
        for debouncer in self._debouncers:
            debouncer.start()
        observer.start()
        # Watch first, then reconcile: a change made while reconciling is still seen.
        for watch in self.watches:
            watch.reconcile()
        for files, watch in zip(self.files, self.watches, strict=True):
            server = LineServer(files.socket, self._handler_for(watch))
            server.start()
            self._servers.append(server)
        for team in self._team_syncs.values():
            team.start()  # fetches at once, then pushes after quiet and fetches on a timer
        self._running = True
        self._idle.start()
        self.write_status()
        logger.info(
            "watching %s (pid %d)", ", ".join(str(f.folder) for f in self.files), os.getpid()
        )
        self._warm_model()

    def _team_sync_for(self, folder: Path) -> Any:
        from ..team.background import BackgroundSync

        team = BackgroundSync.for_folder(folder, state=self.state_dir)
        if team is not None:
            self._team_syncs[folder] = team
        return team

    def _warm_model(self) -> None:
        # The SDK import takes a second or two; pay it now rather than in the first recall.
        if any(w.recallers.base.config.configured for w in self.watches):
            try:
                import anthropic  # noqa: F401
            except ImportError:
                logger.warning("a model is configured but the anthropic SDK is missing")

    def stop(self) -> None:
        """Stop serving and watching, drain extractions, remove the socket and pid files."""
        with self._state_lock:
            servers, self._servers = self._servers, []
            observer, self._observer = self._observer, None
            debouncers, self._debouncers = self._debouncers, []
        for server in servers:
            server.close()
        teams, self._team_syncs = self._team_syncs, {}
        for team in teams.values():
            team.stop()
        self._idle.stop()
        if observer is not None and observer.is_alive():
            observer.stop()
            observer.join()
        for debouncer in debouncers:
            # stop() makes the debouncer deliver what it holds before its thread ends.
            if debouncer.is_alive():
                debouncer.stop()
                debouncer.join()
        if self.transcripts is not None:
            self.transcripts.drain(DRAIN_TIMEOUT_S)
        if self._extractions is not None:
            from ..extract.queue import drain

            for files in self.files:
                drain(DRAIN_TIMEOUT_S, memory_dir=files.folder, queue=self._extractions)
        was_running, self._running = self._running, False
        if self._owns_files:
            if was_running:
                logger.info("stopped (pid %d)", os.getpid())
            self.write_status()
            self._owns_files = False
            self._locks.release()

    def __enter__(self) -> WatchDaemon:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- status ----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The object written to each folder's status file (and served as ``stats``)."""
        batches = [w.last_batch for w in self.watches if w.last_batch is not None]
        last = max(batches, key=lambda b: b["at"]) if batches else None
        snapshot = self.counters.snapshot()
        return {
            "pid": os.getpid(),
            "running": self._running,
            "started": self.started,
            "updated": utc_now(),
            "folders": [str(f.folder) for f in self.files],
            "transcripts": [str(t) for t in self.transcript_dirs],
            "sockets": {str(f.folder): str(f.socket) for f in self.files},
            "last_batch": last,
            "counts": snapshot["counts"],
            "recent_errors": snapshot["recent_errors"],
            "team": {str(f): t.state() for f, t in self._team_syncs.items()},
        }

    def write_status(self) -> None:
        if not self._owns_files:
            return
        with self._state_lock:
            data = self.status()
            for files in self.files:
                write_json(files.status, data)

    # -- requests --------------------------------------------------------------------

    def _handler_for(self, watch: FolderWatch) -> RequestHandler:
        def handle(request: dict[str, Any]) -> dict[str, Any]:
            op = request.get("op")
            if op == "ping":
                return ping_payload(watch.path)
            if op == "stats":
                return {"ok": True, "status": self.status()}
            if op == "recall":
                return self._recall(watch, request)
            if op == "extract":
                return self._extract(watch, request)
            return {"ok": False, "error": f"unknown op {op!r}"}

        return handle

    def _extract(self, watch: FolderWatch, request: dict[str, Any]) -> dict[str, Any]:
        """Queue an extraction on this process's threads (the SDK is loaded once here)."""
        transcript = request.get("transcript")
        session_id = request.get("session_id")
        wait_for = request.get("wait_for_text")
        if not isinstance(transcript, str) or not isinstance(session_id, str):
            return {"ok": False, "error": "extract needs a 'transcript' path and a 'session_id'"}
        if wait_for is not None and not isinstance(wait_for, str):
            return {"ok": False, "error": "'wait_for_text' must be text or null"}
        from ..extract import ExtractionQueue, schedule_extraction

        with self._state_lock:
            if self._extractions is None:
                self._extractions = ExtractionQueue()
        schedule_extraction(
            watch.path,
            Path(transcript),
            session_id=session_id,
            wait_for_text=wait_for,
            state_dir=self.state_dir,
            queue=self._extractions,
        )
        self.counters.add(extractions_scheduled=1)
        return {"ok": True}

    def _recall(self, watch: FolderWatch, request: dict[str, Any]) -> dict[str, Any]:
        query = request.get("query")
        session_id = request.get("session_id")
        tools = request.get("tools") or []
        root = request.get("project_root")
        if not isinstance(query, str):
            return {"ok": False, "error": "recall needs a text 'query'"}
        if session_id is not None and not isinstance(session_id, str):
            return {"ok": False, "error": "'session_id' must be text or null"}
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            return {"ok": False, "error": "'tools' must be a list of names"}
        if root is not None and not isinstance(root, str):
            return {"ok": False, "error": "'project_root' must be a path or null"}
        limit = request.get("limit")
        if limit is not None and (type(limit) is not int or limit < 1):
            return {"ok": False, "error": "'limit' must be a positive whole number or null"}
        self._idle.prompt_seen()
        recaller = watch.recallers.get(Path(root) if root else None)
        result = recaller.recall(
            query,
            session_id=session_id,
            tools=tools,
            offline=bool(request.get("offline")),
            mark_surfaced=request.get("mark_surfaced", True) is not False,
            limit=limit,
        )
        # Counted in memory only: a status-file write here would slow every answer.
        self.counters.add(recalls=1, persist=False)
        return {"ok": True, "result": result.to_json()}


def _invalidating(
    watch: FolderWatch, forward: Callable[[Any], None], team: Any = None
) -> Callable[[Any], None]:
    """An event sink that marks the folder's scan stale at once, then debounces; with a
    team clone, it also tells team sync that something changed."""

    def sink(event: Any) -> None:
        watch.store.invalidate()
        if team is not None:
            team.poke()
        forward(event)

    return sink
