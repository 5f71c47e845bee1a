"""Watching Claude Code transcript folders: when a session's turn ends, extract from it.

Claude Code appends each session to ``<config>/projects/<sanitized cwd>/<session>.jsonl``.
A batch of events re-reads only the transcripts whose size changed; when one now ends with
a finished assistant turn (the agent stopped and called no tool) that was not scheduled
before, extraction is scheduled for that session. The extractor's queue owns the rules
about one run at a time and trailing runs.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent

from ..errors import MemdirError
from ..extract.transcript import has_finished_assistant_turn, read_claude_code_transcript
from ..paths import claude_memory_dir
from .watcher import Counters

logger = logging.getLogger("memdir.daemon.service")

TRANSCRIPT_PATTERNS = ("**/*.jsonl",)
#: Bytes read from the top of a transcript to find the session's working folder.
_CWD_SCAN_BYTES = 256 * 1024

#: schedule_extraction(memory_dir, transcript, *, session_id, state_dir): queue one run.
Scheduler = Callable[..., object]


class TranscriptWatch:
    """Decides which transcript changes deserve an extraction, and schedules them."""

    def __init__(
        self,
        folders: Sequence[Path],
        *,
        memory_dirs: Sequence[Path],
        state_dir: Path,
        counters: Counters,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.folders = [Path(os.path.abspath(f)) for f in folders]
        self.memory_dirs = [Path(os.path.abspath(d)) for d in memory_dirs]
        self.state_dir = state_dir
        self.counters = counters
        self._scheduler = scheduler
        self._queue: Any = None
        self._unavailable = False
        self._sizes: dict[str, int] = {}
        self._scheduled: dict[str, str] = {}
        self._cwd: dict[str, str | None] = {}

    def baseline(self) -> int:
        """Remember the current size of every transcript, so old sessions are not redone."""
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.endswith(".jsonl") and not name.startswith("."):
                        path = os.path.join(dirpath, name)
                        try:
                            self._sizes[path] = os.stat(path).st_size
                        except OSError:
                            continue
        return len(self._sizes)

    def process_batch(self, events: list[FileSystemEvent]) -> None:
        """The debouncer's callback; never raises."""
        try:
            self._process(events)
        except Exception as exc:  # noqa: BLE001 - the daemon must outlive any one batch
            logger.exception("transcript batch failed")
            self.counters.error(f"transcript batch failed: {type(exc).__name__}: {exc}")

    def _process(self, events: list[FileSystemEvent]) -> None:
        paths: set[str] = set()
        for event in events:
            if event.is_directory:
                continue
            for raw in (event.src_path, event.dest_path):
                path = os.fsdecode(raw) if raw else ""
                if path.endswith(".jsonl"):
                    paths.add(path)
        for path in sorted(paths):
            self._check(path)

    def _check(self, path: str) -> None:
        try:
            size = os.stat(path).st_size
        except OSError:
            self._sizes.pop(path, None)
            self._scheduled.pop(path, None)
            return
        if self._sizes.get(path) == size:
            return
        self._sizes[path] = size
        try:
            messages = read_claude_code_transcript(path)
        except MemdirError as exc:
            self.counters.error(str(exc))
            return
        if not has_finished_assistant_turn(messages):
            return
        last = messages[-1].id
        if self._scheduled.get(path) == last:
            return
        memory_dir = self.memory_dir_for(Path(path))
        if memory_dir is None:
            logger.debug("%s: its project's memory folder is not watched here", path)
            return
        self._scheduled[path] = last
        self._schedule(memory_dir, Path(path))

    def memory_dir_for(self, transcript: Path) -> Path | None:
        """The watched memory folder a transcript belongs to, or None.

        With a single watched folder, that one. Otherwise the folder Claude Code uses for
        the session's working directory (the ``cwd`` its lines carry), if watched.
        """
        if len(self.memory_dirs) == 1:
            return self.memory_dirs[0]
        key = str(transcript)
        if key not in self._cwd:
            self._cwd[key] = _transcript_cwd(transcript)
        cwd = self._cwd[key]
        if cwd is None:
            return None
        try:
            wanted = Path(os.path.abspath(claude_memory_dir(cwd)))
        except MemdirError:
            return None
        return wanted if wanted in self.memory_dirs else None

    def _schedule(self, memory_dir: Path, transcript: Path) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            if self._unavailable:
                return
            try:
                from ..extract import ExtractionQueue, schedule_extraction
            except ImportError as exc:
                self._unavailable = True
                self.counters.error(f"extraction is not available: {exc}")
                return
            # Runs go on this process's threads: the daemon has the SDK imported already.
            self._queue = self._queue or ExtractionQueue()
            scheduler = functools.partial(schedule_extraction, queue=self._queue)
        try:
            scheduler(memory_dir, transcript, session_id=transcript.stem, state_dir=self.state_dir)
        except Exception as exc:  # noqa: BLE001 - a failed schedule is logged, not fatal
            self.counters.error(f"{transcript}: could not schedule extraction: {exc}")
            return
        logger.info("%s: turn finished, extraction scheduled for %s", transcript, memory_dir)
        self.counters.add(extractions_scheduled=1)

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for scheduled extractions; True when all ended."""
        if self._queue is None:
            return True
        from ..extract.queue import drain

        deadline = time.monotonic() + timeout
        done = True
        for memory_dir in self.memory_dirs:
            left = max(0.0, deadline - time.monotonic())
            finished = drain(left, memory_dir=memory_dir, state=self.state_dir, queue=self._queue)
            done = done and finished
        if not done:
            logger.warning("extractions still running after %.0f s; leaving them", timeout)
        return done


def _transcript_cwd(path: Path) -> str | None:
    """The first ``cwd`` a transcript's lines carry, or None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_CWD_SCAN_BYTES)
    except OSError:
        return None
    for line in head.decode("utf-8", errors="replace").split("\n"):
        if '"cwd"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        cwd = event.get("cwd") if isinstance(event, dict) else None
        if isinstance(cwd, str) and cwd:
            return cwd
    return None
