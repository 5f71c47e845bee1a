"""One background extraction run: read a session's new messages, save what is worth keeping.

A run, for one (memory folder, session):

1. takes the messages after the session's cursor (``<state>/extract/<folder>/cursors/``);
2. skips them, moving the cursor, when the agent already wrote to the memory folder in
   them (`memdir.extract.evidence.wrote_to_memory`) or saved through memdir's API since the
   last run (`record_api_save`, usually through `api_save_listener`);
3. applies the throttle (run on every N-th eligible turn, ``MEMDIR_EXTRACT_EVERY``);
4. asks the model, for at most five turns, with the memory tool over the folder
   (`memdir.extract.memory_tool`), and moves the cursor only when that succeeded.

Only one run per folder should go at a time: `memdir.extract.queue` holds the
cross-process lock and the pending stash around `Extractor.extract`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ModelError
from ..fsio import atomic_write, read_json_object
from ..model.boundary import MIN_ATTEMPT_S, MessageCreator, ModelBoundary
from ..model.config import ModelConfig
from ..paths import folder_key, state_dir
from ..progress import Progress, no_progress
from ..stats import Stats
from ..store.folder import MemoryDir, WriteListener
from .changes import FileChange
from .evidence import render_for_extraction
from .evidence import wrote_to_memory as _wrote_to_memory
from .prompt import SYSTEM_PROMPT, build_prompt
from .toolloop import converse
from .transcript import Message, load_transcript, messages_after

if TYPE_CHECKING:
    from .memory_tool import MemoryFolderTool

log = logging.getLogger(__name__)

MAX_TURNS = 5
MAX_TOKENS = 4096
DEFAULT_BUDGET_S = 60.0
#: One call may use at most this much of the run's budget, leaving room for a second turn.
DEFAULT_CALL_BUDGET_S = 30.0

Status = Literal["written", "nothing", "skipped", "throttled", "failed"]

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    """Throttle and budgets for extraction runs."""

    every: int = 1
    budget_s: float = DEFAULT_BUDGET_S
    call_budget_s: float = DEFAULT_CALL_BUDGET_S
    max_turns: int = MAX_TURNS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExtractSettings:
        """Read ``MEMDIR_EXTRACT_EVERY`` and ``MEMDIR_EXTRACT_BUDGET_S``; bad values are ignored."""
        env = os.environ if env is None else env
        every, budget = 1, DEFAULT_BUDGET_S
        try:
            every = max(1, int(env.get("MEMDIR_EXTRACT_EVERY") or every))
        except ValueError:
            pass
        try:
            budget = max(MIN_ATTEMPT_S, float(env.get("MEMDIR_EXTRACT_BUDGET_S") or budget))
        except ValueError:
            pass
        return cls(every=every, budget_s=budget, call_budget_s=min(DEFAULT_CALL_BUDGET_S, budget))


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    """What one run did. `changes` may be non-empty even when a later model call failed."""

    session_id: str
    status: Status
    changes: tuple[FileChange, ...] = ()
    turns: int = 0
    messages: int = 0
    reason: str | None = None
    trailing: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json`` and the log)."""
        return {
            "session_id": self.session_id,
            "status": self.status,
            "written": [c.to_json() for c in self.changes],
            "turns": self.turns,
            "messages": self.messages,
            "reason": self.reason,
            "trailing": self.trailing,
        }


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a session's extraction stands.

    `last_id` is the last message processed; `processed_at` the wall time the last run
    that moved it started; `eligible` the eligible turns counted since the last model run.
    """

    last_id: str | None = None
    processed_at: float = 0.0
    eligible: int = 0


class ExtractState:
    """The extractor's files for one memory folder, under ``<state>/extract/<folder key>/``."""

    def __init__(self, state: Path, memory_dir: Path) -> None:
        self.folder = Path(state) / "extract" / folder_key(memory_dir)

    @staticmethod
    def _stem(session_id: str) -> str:
        if _SAFE_ID.match(session_id) and session_id not in (".", ".."):
            return session_id
        return hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32]

    def cursor_path(self, session_id: str) -> Path:
        return self.folder / "cursors" / f"{self._stem(session_id)}.json"

    def save_marker_path(self, session_id: str) -> Path:
        return self.folder / "api-saves" / f"{self._stem(session_id)}.json"

    def read_cursor(self, session_id: str) -> Cursor:
        """The session's cursor; a fresh one when missing or unreadable."""
        data = read_json_object(self.cursor_path(session_id)) or {}
        last = data.get("last_id")
        try:
            return Cursor(
                last_id=last if isinstance(last, str) else None,
                processed_at=float(data.get("processed_at", 0.0)),
                eligible=int(data.get("eligible", 0)),
            )
        except (TypeError, ValueError):
            return Cursor()

    def write_cursor(self, session_id: str, cursor: Cursor) -> None:
        data = {
            "last_id": cursor.last_id,
            "processed_at": cursor.processed_at,
            "eligible": cursor.eligible,
        }
        atomic_write(self.cursor_path(session_id), json.dumps(data), mode=0o600)

    def saved_at(self, session_id: str) -> float | None:
        """When the agent last saved through memdir's API in this session, if ever."""
        value = (read_json_object(self.save_marker_path(session_id)) or {}).get("at")
        return float(value) if isinstance(value, int | float) else None

    def record_save(self, session_id: str, when: float) -> None:
        atomic_write(self.save_marker_path(session_id), json.dumps({"at": when}), mode=0o600)


def record_api_save(
    memory_dir: Path | str,
    session_id: str,
    *,
    state: Path | None = None,
    when: float | None = None,
) -> None:
    """Note that the agent of `session_id` saved a memory through memdir's API.

    The session's next extraction run then skips (and moves its cursor): the agent is
    already curating memory itself, and a second writer would duplicate its work.
    """
    folder = Path(os.path.abspath(memory_dir))
    ExtractState(state or state_dir(), folder).record_save(
        session_id, time.time() if when is None else when
    )


def api_save_listener(
    memory_dir: Path | str, session_id: str, *, state: Path | None = None
) -> WriteListener:
    """A `MemoryDir.listeners` callback that calls `record_api_save` on every write."""

    def listener(_path: Path) -> None:
        record_api_save(memory_dir, session_id, state=state)

    return listener


class Extractor:
    """Runs extraction for one memory folder (one run at a time: see `extract_queue`)."""

    def __init__(
        self,
        store: MemoryDir,
        *,
        client: MessageCreator | None = None,
        settings: ExtractSettings | None = None,
        cwd: Path | str | None = None,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.store = store
        self.settings = settings if settings is not None else ExtractSettings.from_env()
        self.cwd = cwd
        self._client = client
        self._clock = clock
        self._today = today
        self.state = ExtractState(store.state_path, store.path)
        self.stats = Stats(store.state_path)

    @property
    def client(self) -> MessageCreator:
        """The model client (the shared `ModelBoundary` unless one was passed in)."""
        if self._client is None:
            self._client = ModelBoundary(ModelConfig.from_env(), state_dir=self.store.state_path)
        return self._client

    def extract_file(
        self,
        transcript: Path | str,
        *,
        session_id: str,
        trailing: bool = False,
        progress: Progress = no_progress,
    ) -> ExtractionResult:
        """`extract` on a transcript file (Claude Code JSONL or a JSON list of messages).

        Raises:
            MemdirError: the file exists but cannot be read.
        """
        return self.extract(
            load_transcript(transcript),
            session_id=session_id,
            trailing=trailing,
            progress=progress,
        )

    def extract(
        self,
        messages: Sequence[Message],
        *,
        session_id: str,
        trailing: bool = False,
        progress: Progress = no_progress,
    ) -> ExtractionResult:
        """Run once over the session's messages after its cursor.

        `trailing` marks the run made right after another one: it is not throttled. Model
        failures are returned as a ``failed`` result (the cursor stays), not raised.
        `progress` hears ``("model turns", made, None)`` around each model call and
        ``("memories written", count, None)`` after each write.
        """
        started = time.time()
        cursor = self.state.read_cursor(session_id)
        new = messages_after(messages, cursor.last_id)

        def done(status: Status, reason: str | None = None, **extra: Any) -> ExtractionResult:
            result = ExtractionResult(
                session_id, status, messages=len(new), reason=reason, trailing=trailing, **extra
            )
            log.info("extraction %s: %s", self.store.path, json.dumps(result.to_json()))
            return result

        if not new:
            return done("skipped", "no new messages")
        moved = Cursor(last_id=new[-1].id, processed_at=started, eligible=0)
        saved_at = self.state.saved_at(session_id)
        if _wrote_to_memory(new, self.store.path, cwd=self.cwd) or (
            saved_at is not None and saved_at > cursor.processed_at
        ):
            self.state.write_cursor(session_id, moved)
            self.stats.bump(extraction_skips=1)
            return done("skipped", "the agent wrote to the memory folder itself")
        evidence = render_for_extraction(new)
        if not evidence.strip():
            self.state.write_cursor(session_id, moved)
            return done("skipped", "no user or assistant text")
        if not trailing:
            eligible = cursor.eligible + 1
            if eligible % self.settings.every:
                self.state.write_cursor(
                    session_id,
                    Cursor(cursor.last_id, cursor.processed_at, eligible),
                )
                return done(
                    "throttled", f"runs every {self.settings.every} turns ({eligible} so far)"
                )

        from .memory_tool import MemoryFolderTool  # the anthropic SDK: only now

        # Trigger: `store` may carry an `api_save_listener` (the library hook's store).
        # Why: our own writes would then look like the agent's and skip the next run.
        # Outcome: the tool writes through a listener-free view of the same folder.
        tool = MemoryFolderTool(
            MemoryDir(
                self.store.path,
                state=self.store.state_path,
                actor=f"extractor:{session_id}" if session_id else "extractor",
            )
        )
        prompt = build_prompt(
            evidence=evidence, memories=self.store.scan().memories, today=self._today()
        )
        replies: list[Any] = []
        try:
            self._converse(prompt, tool, replies, progress)
        except ModelError as exc:
            changes = tuple(tool.changes)
            self.stats.bump(extraction_failures=1, memories_written=len(changes))
            log.warning("extraction failed for %s: %s", self.store.path, exc)
            return done("failed", str(exc), changes=changes, turns=len(replies))
        self.state.write_cursor(session_id, moved)
        changes = tuple(tool.changes)
        self.stats.bump(extractions=1, memories_written=len(changes))
        status: Status = "written" if changes else "nothing"
        return done(status, changes=changes, turns=len(replies))

    def _converse(
        self,
        prompt: str,
        tool: MemoryFolderTool,
        replies: list[Any],
        progress: Progress = no_progress,
    ) -> None:
        """The model loop (`memdir.extract.toolloop.converse`) with this extractor's model,
        prompt and limits; each reply is appended to `replies` (a failure keeps the count).

        Raises:
            ModelError: a call failed, or the run's budget ran out.
        """
        converse(
            self.client,
            tool,
            prompt,
            system=SYSTEM_PROMPT,
            max_tokens=MAX_TOKENS,
            budget=self.settings,
            clock=self._clock,
            replies=replies,
            task="the extraction",
            retryable=True,
            # One history operation per turn: the efficient run (one turn of reads, one
            # of writes) is one undoable operation, without holding the history lock
            # across model calls.
            each_turn=tool.store.operation,
            progress=progress,
            report_writes=True,
        )
