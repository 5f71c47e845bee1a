"""Starting extraction in this process's care: one "is a model configured?", then a
detached ``python -m memdir.extract`` process or a thread queue the caller owns.

Asking a running daemon first is `memdir.daemon.client.queue_extraction`'s call, which
ends here when none takes the work. `extract_now` runs in the foreground for a person who
named a transcript: the file is checked first, so a typo or a broken file is reported
before anything about the model.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..detach import spawn_module
from ..errors import ConfigurationError
from ..model.config import ModelConfig
from ..progress import Progress, no_progress

if TYPE_CHECKING:
    from ..store.folder import MemoryDir
    from .queue import ExtractionQueue, ExtractionRequest, RunReport

# The queue (and with it the extractor) is imported only once a model is known to be
# configured: a Stop hook without one stays on its light path.

log = logging.getLogger(__name__)

#: Why nothing was queued, in words a person can act on.
NO_MODEL = (
    "extraction needs a model: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), "
    "optionally MEMDIR_MODEL, and make sure MEMDIR_OFFLINE is not set"
)

Where = Literal["daemon", "process", "thread"]


@dataclass(frozen=True, slots=True)
class Scheduled:
    """Where a requested extraction went; `by` is None when nothing was queued (`reason`)."""

    session_id: str
    by: Where | None
    log: Path | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"queued", "session_id", "by", "log", "reason"}``."""
        return {
            "queued": self.by is not None,
            "session_id": self.session_id,
            "by": self.by,
            "log": str(self.log) if self.log else None,
            "reason": self.reason,
        }


def spawn_detached(store: MemoryDir, request: ExtractionRequest) -> Path:
    """Hand `request` to a new background ``python -m memdir.extract`` process.

    The process outlives the caller (its own session, stdin closed), and writes its
    output to ``<state>/logs/extract.log``. Returns the ticket path `drain` watches.
    """
    from .queue import LOG_NAME, QueueFiles

    ticket = QueueFiles.for_store(store).write_ticket(request)
    spawn_module(
        "memdir.extract",
        str(store.path),
        str(ticket),
        state=store.state_path,
        log=store.state_path / "logs" / LOG_NAME,
        label="memdir-extract",
    )
    log.info("queued extraction of %s (ticket %s)", request.transcript, ticket.name)
    return ticket


def schedule_extraction(
    memory_dir: Path,
    transcript: Path,
    *,
    session_id: str,
    wait_for_text: str | None = None,
    state_dir: Path | None = None,
    queue: ExtractionQueue | None = None,
) -> Scheduled:
    """Queue an extraction of `transcript` into `memory_dir` here, and return at once.

    The work runs in a detached process (or on `queue`'s threads when given). It first
    waits, up to 10 s, for the transcript to hold the assistant text `wait_for_text`
    (what a Claude Code Stop hook reports as the last message), then runs under the
    folder's lock, or is stashed for the run in progress. This is the one place that asks
    whether a model is configured: when none is, nothing is queued and the result says why.
    """
    if not ModelConfig.from_env().configured:
        log.info("no model configured; extraction for %s not queued", memory_dir)
        return Scheduled(session_id, None, reason=NO_MODEL)
    from ..store.folder import MemoryDir
    from .queue import LOG_NAME, ExtractionRequest

    store = MemoryDir(memory_dir, state=state_dir)
    request = ExtractionRequest(
        Path(os.path.abspath(transcript)), session_id, time.time(), wait_for_text
    )
    if queue is not None:
        queue.submit(store, request)
        return Scheduled(session_id, "thread")
    spawn_detached(store, request)
    return Scheduled(session_id, "process", log=store.state_path / "logs" / LOG_NAME)


def extract_now(
    store: MemoryDir,
    transcript: Path,
    *,
    session_id: str | None = None,
    progress: Progress = no_progress,
) -> tuple[ExtractionRequest, RunReport]:
    """Check `transcript`, then run extraction here (``memory extract --wait``).

    `progress` hears ``("reading transcript", 0|1, 1)``, then the run's model turns and
    writes (`Extractor.extract`).

    Raises:
        InvalidInputError: the transcript is missing or is not a transcript.
        ConfigurationError: no model is configured.
    """
    from .queue import ExtractionRequest, run_request
    from .transcript import read_transcript_strict

    progress("reading transcript", 0, 1)
    messages = read_transcript_strict(transcript)
    progress("reading transcript", 1, 1)
    if not ModelConfig.from_env().configured:
        raise ConfigurationError(NO_MODEL)
    request = ExtractionRequest(
        Path(os.path.abspath(transcript)), session_id or transcript.stem, time.time()
    )
    return request, run_request(store, request, messages=messages, progress=progress)
