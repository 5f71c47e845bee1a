"""The library hook: one object a Python agent loop holds to use its memory.

    hook = MemoryHook("~/agent/memory")
    system = BASE_PROMPT + hook.system_prompt()
    while ...:
        hook.before_model(messages)        # starts recall for the newest user prompt
        hook.inject(messages)              # adds recalled memories if they are ready
        response = client.messages.create(system=system, messages=messages, ...)
        ...
    hook.after_turn(messages)              # the agent stopped: schedule extraction
    hook.close()                           # drain pending extraction, bounded

Recall runs on one worker thread while the main model works; `collect` only ever takes a
finished result, so a slow selector delays memories by one model call, never the agent.
`AsyncMemoryHook` is the same for asyncio agents: nothing it does blocks the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..extract.transcript import Message, TextBlock, from_messages, has_finished_assistant_turn
from ..fsio import atomic_write
from ..model.boundary import MessageCreator, ModelBoundary, ModelConfig
from ..recall.recaller import DEFAULT_BUDGET_S, Recaller
from ..recall.result import RecallResult
from ..recall.tokenize import is_selectable_query
from ..store.folder import MemoryDir
from ..store.prompt import build_memory_prompt

__all__ = ["AsyncMemoryHook", "MemoryHook", "find_user_prompt", "memory_block"]

log = logging.getLogger("memdir.integrations.library_hook")

#: Tools named in this many trailing messages count as "recently used" for the selector.
RECENT_TOOL_MESSAGES = 20

# Text that tools or harnesses inject into user messages: never the user's own words.
_REMINDER = re.compile(r"<system-reminder>.*?(?:</system-reminder>|\Z)", re.DOTALL)


def memory_block(rendered: str) -> str:
    """Wrap recalled memories for a user message.

    Why a ``<system-reminder>`` tag: it tells the model the text was added by the harness,
    and the extractor drops such blocks, so recalled memories never come back as "new"
    evidence.
    """
    return f"<system-reminder>\n{rendered.rstrip()}\n</system-reminder>"


@dataclass(frozen=True, slots=True)
class UserPrompt:
    """The newest message the user actually wrote, and where it sits in the list."""

    position: int
    text: str


def _user_text(message: Message) -> str:
    text = "\n".join(b.text for b in message.blocks if isinstance(b, TextBlock))
    text = _REMINDER.sub("", text).strip()
    return "" if text.startswith("<task-notification>") else text


def find_user_prompt(messages: Sequence[Mapping[str, Any] | Any]) -> UserPrompt | None:
    """The newest user message with text of its own.

    Messages carrying only tool results, injected reminders (such as recalled memories)
    or task notifications are passed over: the prompt being worked on is further back.
    """
    parsed = from_messages(messages)
    for position in range(len(parsed) - 1, -1, -1):
        message = parsed[position]
        if message.role == "user":
            text = _user_text(message)
            if text:
                return UserPrompt(position, text)
    return None


def _recent_tools(messages: Sequence[Message]) -> tuple[str, ...]:
    names: list[str] = []
    for message in messages[-RECENT_TOOL_MESSAGES:]:
        for use in message.tool_uses:
            if use.name and use.name not in names:
                names.append(use.name)
    return tuple(names)


def _plain(obj: object) -> object:
    """JSON for SDK objects (pydantic models) found in an agent's message list."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return str(obj)


class _HookCore:
    """State and logic shared by the sync and asyncio hooks."""

    def __init__(
        self,
        memory_dir: Path | str | MemoryDir,
        *,
        session_id: str | None = None,
        model: MessageCreator | None = None,
        config: ModelConfig | None = None,
        project_root: Path | None = None,
        extract: bool = True,
        offline: bool = False,
        state_dir: Path | None = None,
        recall_budget_s: float = DEFAULT_BUDGET_S,
    ) -> None:
        if isinstance(memory_dir, MemoryDir):
            self.store = memory_dir
        else:
            self.store = MemoryDir(memory_dir, state=state_dir)
        # Without a session the surfaced set could not be kept: one hook is one session.
        self.session_id = session_id or f"hook-{uuid.uuid4().hex}"
        self.extract = extract
        self.offline = offline
        self.recall_budget_s = recall_budget_s
        self._model = model
        self._config = config
        self._project_root = project_root
        self._recaller: Recaller | None = None
        self._recaller_lock = threading.Lock()
        self._lock = threading.Lock()
        # One worker: a recall, the surfaced marks and extraction hand-offs run in order,
        # so a mark always lands before the next recall reads the session.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="memdir-hook"
        )
        self._recall: concurrent.futures.Future[RecallResult | None] | None = None
        self._prompt_key: tuple[int, str] | None = None
        self._background: list[concurrent.futures.Future[None]] = []
        self._scheduled = 0
        self._queue: Any = None  # an extract_queue.ExtractionQueue once one is needed
        self._closed = False
        self.last_result: RecallResult | None = None
        self.last_error: BaseException | None = None
        self._listen_for_writes()

    # -- the system prompt ---------------------------------------------------------------

    def system_prompt(self) -> str:
        """The memory section for the system prompt: instructions plus the capped index."""
        capped = self.store.load_index()
        return build_memory_prompt(index_text=capped.text, memory_dir=str(self.store.path))

    # -- recall ----------------------------------------------------------------------------

    @property
    def recaller(self) -> Recaller:
        """The `Recaller` (built on first use, on the worker thread when prefetching)."""
        with self._recaller_lock:
            if self._recaller is None:
                self._recaller = Recaller(
                    self.store,
                    model=self._model,
                    config=self._config,
                    project_root=self._project_root,
                )
            return self._recaller

    def before_model(self, messages: Sequence[Mapping[str, Any] | Any]) -> bool:
        """Start recall for the newest user prompt, unless it was already started.

        Returns True when a new recall started. Call it before every model request: after
        tool results the prompt is unchanged and nothing new starts. A one-word prompt or
        a task notification starts nothing, but still supersedes an older prompt's recall.
        """
        prompt = find_user_prompt(messages)
        if prompt is None:
            return False
        key = (prompt.position, prompt.text)
        with self._lock:
            if key == self._prompt_key:
                return False
            self._prompt_key = key
        tools = _recent_tools(from_messages(messages))
        if not is_selectable_query(prompt.text):
            self._replace_recall(None)
            return False
        self.prefetch(prompt.text, tools=tools)
        return True

    def prefetch(self, query: str, *, tools: Sequence[str] = ()) -> None:
        """Start recall for `query` in the background, replacing any recall not yet taken."""
        self._check_open()
        future = self._executor.submit(self._run_recall, query, tuple(tools))
        self._replace_recall(future)

    def _replace_recall(
        self, future: concurrent.futures.Future[RecallResult | None] | None
    ) -> None:
        with self._lock:
            old, self._recall = self._recall, future
        if old is not None:
            # A queued recall is dropped; a running one finishes and is ignored.
            old.cancel()

    def _run_recall(self, query: str, tools: tuple[str, ...]) -> RecallResult | None:
        try:
            return self.recaller.recall(
                query,
                session_id=self.session_id,
                tools=tools,
                offline=self.offline,
                budget_s=self.recall_budget_s,
                mark_surfaced=False,
            )
        except Exception as exc:  # recall must never take the agent down
            self.last_error = exc
            log.warning("memdir recall failed: %s", exc, exc_info=True)
            return None

    def ready(self) -> bool:
        """True when a recall result is waiting to be collected."""
        with self._lock:
            return self._recall is not None and self._recall.done()

    def collect(self) -> str | None:
        """The recalled memories as a block for the next request, if recall has finished.

        Never blocks: while recall is still running this returns None and the result
        is picked up by a later call. Collected memories are marked as surfaced for the
        session, so later recalls do not repeat them.
        """
        with self._lock:
            future = self._recall
            if future is None or not future.done():
                return None
            self._recall = None
        if future.cancelled():
            return None
        result = future.result()
        if result is None:
            return None
        self.last_result = result
        if not result.memories:
            return None
        self._in_background(lambda: self.recaller.mark_surfaced(self.session_id, result.memories))
        return memory_block(result.render())

    def inject(self, messages: MutableSequence[Any]) -> bool:
        """`collect`, then append the block to the last user message; True if added."""
        if not messages:
            return False
        last = messages[-1]
        if not isinstance(last, dict) or last.get("role") != "user":
            return False
        block = self.collect()
        if block is None:
            return False
        content = last.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        last["content"] = [*(blocks or []), {"type": "text", "text": block}]
        return True

    # -- extraction ------------------------------------------------------------------------

    def after_turn(self, messages: Sequence[Mapping[str, Any] | Any]) -> bool:
        """Schedule extraction if the turn ended without tool calls; True if scheduled.

        The conversation is copied now (the agent may keep appending to its list) and
        handed to the extraction queue in the background. Nothing is scheduled when
        extraction is off or no model is configured.
        """
        if not self.extract or not self._can_extract():
            return False
        if not has_finished_assistant_turn(from_messages(messages)):
            return False
        self._check_open()
        payload = json.dumps({"messages": list(messages)}, default=_plain, ensure_ascii=False)
        self._scheduled += 1
        self._in_background(lambda: self._hand_off(payload))
        return True

    def conversation_path(self) -> Path:
        """The file in the state folder that holds the conversation for the extractor."""
        return self.store.state_path / "hook-conversations" / f"{self.session_id}.json"

    def _can_extract(self) -> bool:
        if self._model is not None:
            return True
        return (self._config or ModelConfig.from_env()).configured

    def _hand_off(self, payload: str) -> None:
        path = self.conversation_path()
        # Conversations are private: readable by the user only.
        atomic_write(path, payload, mode=0o600)
        queue = importlib.import_module("memdir.extract.queue")
        if self._model is None and self._config is None:
            # The daemon, else a detached process: extraction outlives a short-lived script.
            from ..daemon.client import queue_extraction

            queue_extraction(
                self.store.path, path, session_id=self.session_id, state_dir=self.store.state_path
            )
            return
        # A model or config handed to the hook exists only in this process: run here.
        extract = importlib.import_module("memdir.extract.extractor")
        # A separate store: the extractor's own writes must not count as the agent's.
        store = MemoryDir(self.store.path, state=self.store.state_path)
        client = self._model or ModelBoundary(
            self._config or ModelConfig.from_env(), state_dir=store.state_path
        )
        if self._queue is None:
            self._queue = queue.ExtractionQueue()
        request = queue.ExtractionRequest(path, self.session_id, time.time())
        self._queue.submit(store, request, extractor=extract.Extractor(store, client=client))

    def _listen_for_writes(self) -> None:
        """Saves through this store count as the agent curating memory itself: the
        extractor then skips those turns instead of writing the same thing twice."""
        try:
            extract = importlib.import_module("memdir.extract.extractor")
        except ImportError:
            return
        listener = extract.api_save_listener(
            self.store.path, self.session_id, state=self.store.state_path
        )
        self.store.listeners.append(listener)

    # -- plumbing --------------------------------------------------------------------------

    def _in_background(self, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except Exception as exc:  # background work must not surface in the agent
                self.last_error = exc
                log.warning("memdir hook background task failed: %s", exc, exc_info=True)

        with self._lock:
            self._background = [f for f in self._background if not f.done()]
            self._background.append(self._executor.submit(run))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this MemoryHook is closed")

    def _shutdown(self, timeout: float) -> bool:
        """Stop recall, finish hand-offs, drain extraction; True if all finished in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            pending = list(self._background)
        self._replace_recall(None)
        _, not_done = concurrent.futures.wait(pending, timeout=timeout)
        # Not waiting here: a recall still asking the model would hold close() past its
        # timeout, and its result is no longer wanted.
        self._executor.shutdown(wait=False, cancel_futures=True)
        finished = not not_done
        if self._scheduled:
            try:
                queue = importlib.import_module("memdir.extract.queue")
                finished = (
                    queue.drain(
                        max(0.0, deadline - time.monotonic()),
                        memory_dir=self.store.path,
                        state=self.store.state_path,
                        queue=self._queue,
                    )
                    and finished
                )
            except Exception as exc:
                self.last_error = exc
                log.warning("memdir could not drain extraction: %s", exc, exc_info=True)
                finished = False
        return bool(finished)


class MemoryHook(_HookCore):
    """Memory for a synchronous agent loop (see the module docstring for the flow)."""

    def wait(self, timeout: float) -> bool:
        """Block until the pending recall finishes (at most `timeout` s); True if ready.

        For agents that prefer to wait briefly on the first turn; `collect` never waits.
        """
        with self._lock:
            future = self._recall
        if future is None:
            return False
        concurrent.futures.wait([future], timeout=timeout)
        return future.done()

    def close(self, timeout: float = 5.0) -> bool:
        """Drain pending extraction for at most `timeout` s; True if everything finished."""
        return self._shutdown(timeout)

    def __enter__(self) -> MemoryHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncMemoryHook(_HookCore):
    """Memory for an asyncio agent loop: the same calls, none of them blocks the loop.

    `before_model`, `collect`, `inject` and `after_turn` are plain calls that return at
    once (work runs on the hook's worker thread); `wait` and `aclose` are coroutines.
    """

    async def wait(self, timeout: float) -> bool:
        """Wait until the pending recall finishes (at most `timeout` s); True if ready."""
        with self._lock:
            future = self._recall
        if future is None:
            return False
        wrapped = asyncio.wrap_future(future)
        try:
            await asyncio.wait_for(asyncio.shield(wrapped), timeout)
        except TimeoutError:
            pass
        return future.done()

    async def aclose(self, timeout: float = 5.0) -> bool:
        """Drain pending extraction for at most `timeout` s without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._shutdown, timeout)

    async def __aenter__(self) -> AsyncMemoryHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
