"""Scheduling extraction runs: one at a time per memory folder, across processes.

Hooks, the CLI and the daemon are separate processes, so the bookkeeping lives in the
state folder, under ``<state>/extract/<folder key>/``:

- ``run.lock``: held (a non-blocking try) by the process running extraction;
- ``pending.json``: the request that arrived while a run was going. The newest request
  replaces an older one; the lock holder runs it once, right after its own run (a
  *trailing* run, never throttled);
- ``requests/*.json``: tickets for detached processes that have not finished yet, so
  `drain` can see work that was queued but has not taken the lock.

Two races are closed by trying the lock twice. A process that found the lock busy stashes
its request and tries again: if the holder ended in between, the stasher runs it. And the
holder, after releasing, looks for a pending request stashed during its last moments.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MemdirError
from ..fsio import HeldLock, atomic_write, file_lock, try_lock
from ..paths import state_dir as default_state_dir
from ..progress import Progress, no_progress
from ..store.folder import MemoryDir
from .extractor import ExtractionResult, Extractor, ExtractState
from .transcript import Message, contains_assistant_text, load_transcript

log = logging.getLogger(__name__)

#: How long a run waits for the transcript to hold the turn it was asked about.
WAIT_FOR_TEXT_S = 10.0
POLL_S = 0.1
#: A ticket older than this belongs to a process that died; `drain` stops waiting for it.
STALE_TICKET_S = 600.0
LOG_NAME = "extract.log"


@dataclass(frozen=True, slots=True)
class ExtractionRequest:
    """One request to extract from a transcript file, as stashed and passed around."""

    transcript: Path
    session_id: str
    requested_at: float
    wait_for_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (pending marker and tickets)."""
        return {
            "transcript": str(self.transcript),
            "session_id": self.session_id,
            "requested_at": self.requested_at,
            "wait_for_text": self.wait_for_text,
        }

    @classmethod
    def from_json(cls, data: object) -> ExtractionRequest | None:
        """The request in `data`, or None when it is not a well-formed request."""
        if not isinstance(data, dict):
            return None
        transcript, session = data.get("transcript"), data.get("session_id")
        at, text = data.get("requested_at"), data.get("wait_for_text")
        if not (isinstance(transcript, str) and isinstance(session, str)):
            return None
        if not isinstance(at, int | float) or not (text is None or isinstance(text, str)):
            return None
        return cls(Path(transcript), session, float(at), text)


@dataclass(frozen=True, slots=True)
class RunReport:
    """What `run_request` did: the runs made here, or that the request was stashed."""

    results: tuple[ExtractionResult, ...] = ()
    queued: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"queued": self.queued, "runs": [r.to_json() for r in self.results]}


class QueueFiles:
    """The lock, pending marker and tickets for one memory folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock_path = self.folder / "run.lock"
        self.pending_path = self.folder / "pending.json"
        self.tickets = self.folder / "requests"
        self._pending_lock = self.folder / ".pending.lock"

    @classmethod
    def for_store(cls, store: MemoryDir) -> QueueFiles:
        """The files for `store`'s folder, in its state folder."""
        return cls(ExtractState(store.state_path, store.path).folder)

    def try_lock(self) -> HeldLock | None:
        """The run lock if it is free right now, else None (never waits)."""
        return try_lock(self.lock_path)

    def stash(self, request: ExtractionRequest) -> None:
        """Make `request` the pending one, unless a newer one is already there."""
        with file_lock(self._pending_lock, timeout=5.0):
            current = self._read_pending()
            if current is None or current.requested_at <= request.requested_at:
                atomic_write(self.pending_path, json.dumps(request.to_json()), mode=0o600)

    def take(self) -> ExtractionRequest | None:
        """Remove and return the pending request, if any."""
        with file_lock(self._pending_lock, timeout=5.0):
            current = self._read_pending()
            self.pending_path.unlink(missing_ok=True)
        return current

    def _read_pending(self) -> ExtractionRequest | None:
        try:
            return ExtractionRequest.from_json(json.loads(self.pending_path.read_text("utf-8")))
        except (OSError, ValueError):
            return None

    def write_ticket(self, request: ExtractionRequest) -> Path:
        """Record a request handed to a detached process; returns the ticket's path."""
        ticket = self.tickets / f"{int(request.requested_at * 1000)}-{uuid.uuid4().hex[:8]}.json"
        atomic_write(ticket, json.dumps(request.to_json()), mode=0o600)
        return ticket

    def busy(self, now: float) -> bool:
        """True while a run holds the lock, a request is pending, or a ticket is fresh."""
        if self.pending_path.exists():
            return True
        for ticket in self.tickets.glob("*.json") if self.tickets.is_dir() else ():
            with contextlib.suppress(OSError):
                if now - ticket.stat().st_mtime < STALE_TICKET_S:
                    return True
        lock = self.try_lock()
        if lock is None:
            return True
        lock.release()
        return False


def read_ticket(path: Path) -> ExtractionRequest | None:
    """The request in a ticket file, or None when it is missing or damaged."""
    try:
        return ExtractionRequest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def wait_for_transcript(
    transcript: Path,
    text: str,
    *,
    timeout: float = WAIT_FOR_TEXT_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Message] | None:
    """Poll until the transcript holds the assistant text `text`; its messages, or None.

    Claude Code appends to the transcript in batches, so a Stop hook can run before the
    turn it reports is on disk. The messages read are returned so the run that follows
    does not read the file again.
    """
    deadline = clock() + timeout
    while True:
        with contextlib.suppress(MemdirError):
            messages = load_transcript(transcript)
            if contains_assistant_text(messages, text):
                return messages
        if clock() >= deadline:
            return None
        sleep(POLL_S)


def _run_one(
    extractor: Extractor,
    request: ExtractionRequest,
    *,
    trailing: bool,
    messages: Sequence[Message] | None = None,
    progress: Progress = no_progress,
) -> ExtractionResult:
    try:
        if messages is not None:
            return extractor.extract(
                messages, session_id=request.session_id, trailing=trailing, progress=progress
            )
        return extractor.extract_file(
            request.transcript, session_id=request.session_id, trailing=trailing, progress=progress
        )
    except MemdirError as exc:
        # An unreadable transcript must not cost the requests waiting behind it.
        log.warning("extraction of %s failed: %s", request.transcript, exc)
        return ExtractionResult(request.session_id, "failed", reason=str(exc), trailing=trailing)


def run_request(
    store: MemoryDir,
    request: ExtractionRequest,
    *,
    extractor: Extractor | None = None,
    wait_s: float = WAIT_FOR_TEXT_S,
    messages: Sequence[Message] | None = None,
    progress: Progress = no_progress,
) -> RunReport:
    """Run `request` now, or stash it for the run in progress; then run what is pending.

    With ``wait_for_text`` set, first waits up to `wait_s` for the transcript to catch up.
    `messages`, when the caller already read the transcript, spare reading it again.
    `progress` hears each run's model turns and writes (`Extractor.extract`).
    """
    if request.wait_for_text:
        caught_up = wait_for_transcript(request.transcript, request.wait_for_text, timeout=wait_s)
        if caught_up is None:
            log.info("transcript %s never showed the last turn; using it as is", request.transcript)
        messages = caught_up
    files = QueueFiles.for_store(store)
    first: ExtractionRequest | None = request
    lock = files.try_lock()
    if lock is None:
        files.stash(request)
        lock = files.try_lock()
        if lock is None:
            return RunReport(queued=True)
        first = None  # ours is in the stash now (or a newer one replaced it)
    extractor = extractor if extractor is not None else Extractor(store)
    results: list[ExtractionResult] = []
    while lock is not None:
        try:
            if first is not None:
                results.append(
                    _run_one(extractor, first, trailing=False, messages=messages, progress=progress)
                )
                first = None
            while (pending := files.take()) is not None:
                results.append(_run_one(extractor, pending, trailing=True, progress=progress))
        finally:
            lock.release()
        # A request stashed after our last look, before the release, is ours to run.
        lock = files.try_lock() if files.pending_path.exists() else None
    return RunReport(tuple(results))


def report_lines(report: RunReport) -> list[str]:
    """What a detached run writes to ``extract.log`` about `report`, one line each."""
    lines = []
    if report.queued:
        lines.append("Another extraction was running; this request runs right after it.")
    for result in report.results:
        reason = f" ({result.reason})" if result.reason else ""
        lines.append(f"session {result.session_id}: {result.status}{reason}")
        for change in result.changes:
            moved = f" (from {change.old_path})" if change.old_path else ""
            lines.append(f"  {change.action}: {change.path}{moved}")
    return lines


def run_ticket(folder: Path, ticket: Path, write: Callable[[str], None]) -> int:
    """The detached worker's whole job: run the ticket's request, report it, drop the ticket.

    `write` receives the log's text (``python -m memdir.extract`` gives its stdout). The
    ticket is removed last, even on failure: `drain` waits for it, so the log is complete
    when `drain` returns. Returns 0 when every run succeeded, 1 when one failed, 2 when
    the ticket holds no readable request.
    """
    try:
        request = read_ticket(ticket)
        if request is None:
            write(f"{ticket}: not a readable extraction request\n")
            return 2
        report = run_request(MemoryDir(folder), request)
        write("".join(line + "\n" for line in report_lines(report)))
    finally:
        ticket.unlink(missing_ok=True)
    return 1 if any(r.status == "failed" for r in report.results) else 0


class ExtractionQueue:
    """Runs requests on background threads of this process (the library and the daemon)."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._guard = threading.Lock()

    def submit(
        self,
        store: MemoryDir,
        request: ExtractionRequest,
        *,
        extractor: Extractor | None = None,
    ) -> None:
        """Start `run_request` on a thread and return at once."""

        def work() -> None:
            try:
                run_request(store, request, extractor=extractor)
            except Exception:
                # Trigger: a bug in a run. Why: a thread's exception only reaches stderr,
                # which a library must not write to. Outcome: logged with its traceback.
                log.exception("extraction thread failed for %s", store.path)

        thread = threading.Thread(target=work, name="memdir-extract", daemon=True)
        with self._guard:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this queue's threads; True when all ended."""
        deadline = time.monotonic() + timeout
        with self._guard:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)


def drain(
    timeout: float,
    *,
    memory_dir: Path | str | None = None,
    state: Path | None = None,
    queue: ExtractionQueue | None = None,
) -> bool:
    """Wait for running and pending extractions, for a clean shutdown.

    Waits for `queue`'s threads, then for every folder's (or only `memory_dir`'s) run
    lock to be free with nothing pending and no detached process still queued. Returns
    True when all of it finished within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    if queue is not None and not queue.drain(timeout):
        return False
    if memory_dir is not None:
        folders = [QueueFiles.for_store(MemoryDir(memory_dir, state=state))]
    else:
        root = (state or default_state_dir()) / "extract"
        found = sorted(root.iterdir()) if root.is_dir() else []
        folders = [QueueFiles(p) for p in found if p.is_dir()]
    while any(f.busy(time.time()) for f in folders):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True
