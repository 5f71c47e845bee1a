"""Recall in the background: start it before the main model call, collect it after.

The selector's model call takes a few hundred milliseconds; an agent should not wait for
it. `prefetch` returns at once with a handle; the agent checks it without blocking,
waits for it with a timeout, awaits it from asyncio, or cancels it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Generator, Sequence
from typing import Any

from .recaller import DEFAULT_BUDGET_S, Recaller
from .result import RecallResult


class Prefetch:
    """A recall running in a background thread."""

    def __init__(self, query: str) -> None:
        self.query = query
        self._future: concurrent.futures.Future[RecallResult] = concurrent.futures.Future()
        self._cancelled = threading.Event()

    def done(self) -> bool:
        """True once the result (or an error) is in, or the prefetch was cancelled."""
        return self._future.done() or self._cancelled.is_set()

    def result(self, timeout: float | None = 0.0) -> RecallResult | None:
        """The result if it arrives within `timeout` seconds (0: do not wait; None: wait).

        Returns None when it is not ready yet or was cancelled. Errors inside recall are
        raised here, where the caller decides what to do with them.
        """
        if self._cancelled.is_set():
            return None
        try:
            return self._future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            return None
        except concurrent.futures.CancelledError:
            return None

    def cancel(self) -> None:
        """Drop the result; a model call already in flight finishes but is ignored."""
        self._cancelled.set()
        self._future.cancel()

    def __await__(self) -> Generator[Any, None, RecallResult | None]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> RecallResult | None:
        if self._cancelled.is_set():
            return None
        try:
            return await asyncio.wrap_future(self._future)
        except concurrent.futures.CancelledError:
            return None


def prefetch(
    recaller: Recaller,
    query: str,
    *,
    session_id: str | None = None,
    tools: Sequence[str] = (),
    offline: bool = False,
    budget_s: float = DEFAULT_BUDGET_S,
    mark_surfaced: bool = False,
) -> Prefetch:
    """Start `recaller.recall(query, ...)` in the background and return its handle at once.

    By default nothing is marked as surfaced: call `Recaller.mark_surfaced` with what
    the agent actually used, so a result that arrived too late is offered again.
    """
    handle = Prefetch(query)
    future = handle._future

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = recaller.recall(
                query,
                session_id=session_id,
                tools=tools,
                offline=offline,
                budget_s=budget_s,
                mark_surfaced=mark_surfaced,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to whoever collects
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=f"memdir-prefetch-{query[:20]}", daemon=True).start()
    return handle
