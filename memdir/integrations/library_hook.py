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

Recall runs on one worker thread. `inject` waits for it a bounded time (``inject_wait_s``,
0.4 s by default), so the first model call of a turn gets its memories; a slower recall
is picked up by the next call, and `collect` alone never waits.
`AsyncMemoryHook` is the same for asyncio agents: nothing it does blocks the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..extract.transcript import from_messages, has_finished_assistant_turn
from ..model import MessageCreator, ModelConfig
from ..recall.recaller import DEFAULT_BUDGET_S, Recaller
from ..recall.result import RecallResult
from ..recall.tokenize import is_selectable_query
from ..store.folder import MemoryDir
from ..store.prompt import build_memory_prompt
from .conversation import find_user_prompt, memory_block, plain_json, recent_tools
from .handoff import hand_off

if TYPE_CHECKING:
    from ..extract.queue import ExtractionQueue

__all__ = ["AsyncMemoryHook", "MemoryHook"]

log = logging.getLogger("memdir.integrations.library_hook")

#: How long `inject` waits for a recall still running: about one selector call, so the
#: first model request of a turn gets its memories without holding the agent for long.
DEFAULT_INJECT_WAIT_S = 0.4


def _inject_wait(given: float | None) -> float:
    """`given`, else ``MEMDIR_INJECT_WAIT_S``, else the default (bad values are ignored)."""
    if given is not None:
        return max(0.0, given)
    try:
        return max(0.0, float(os.environ.get("MEMDIR_INJECT_WAIT_S", "")))
    except ValueError:
        return DEFAULT_INJECT_WAIT_S


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
        inject_wait_s: float | None = None,
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
        self.inject_wait_s = _inject_wait(inject_wait_s)
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
        self._queue: ExtractionQueue | None = None  # made when extraction runs here
        self._closed = False
        self.last_result: RecallResult | None = None
        self.last_error: BaseException | None = None
        self._listen_for_writes()

    def system_prompt(self) -> str:
        """The memory section for the system prompt: instructions plus the capped index."""
        capped = self.store.load_index()
        return build_memory_prompt(index_text=capped.text, memory_dir=str(self.store.path))

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
        tools = recent_tools(from_messages(messages))
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
        """`collect`, then append the block to the last user message; True if added.

        `MemoryHook` first waits up to ``inject_wait_s`` for a recall still running, so the
        first model call of a turn gets its memories; `AsyncMemoryHook` never blocks here
        (``await hook.ainject(messages)`` waits without blocking the loop).
        """
        if not messages:
            return False
        last = messages[-1]
        if not isinstance(last, dict) or last.get("role") != "user":
            return False
        self._before_collect()
        block = self.collect()
        if block is None:
            return False
        content = last.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        last["content"] = [*(blocks or []), {"type": "text", "text": block}]
        return True

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
        payload = json.dumps({"messages": list(messages)}, default=plain_json, ensure_ascii=False)
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
        self._queue = hand_off(
            self.store,
            self.conversation_path(),
            payload,
            session_id=self.session_id,
            model=self._model,
            config=self._config,
            queue=self._queue,
        )

    def _listen_for_writes(self) -> None:
        """Saves through this store count as the agent curating memory itself: the
        extractor then skips those turns instead of writing the same thing twice."""
        from ..extract import api_save_listener

        listener = api_save_listener(self.store.path, self.session_id, state=self.store.state_path)
        self.store.listeners.append(listener)

    def _before_collect(self) -> None:
        """Nothing here; the sync hook waits briefly for a running recall."""

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
                from ..extract import drain

                finished = (
                    drain(
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

    def _before_collect(self) -> None:
        if self.inject_wait_s > 0:
            self.wait(self.inject_wait_s)

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

    async def ainject(self, messages: MutableSequence[Any]) -> bool:
        """`inject`, after waiting (without blocking the loop) up to ``inject_wait_s``."""
        if self.inject_wait_s > 0:
            await self.wait(self.inject_wait_s)
        return self.inject(messages)

    async def aclose(self, timeout: float = 5.0) -> bool:
        """Drain pending extraction for at most `timeout` s without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._shutdown, timeout)

    async def __aenter__(self) -> AsyncMemoryHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
