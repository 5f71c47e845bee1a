"""Consolidation started by the daemon once no prompt has arrived for a while.

A thread wakes every `TICK_S` seconds; when the last recall is older than
`DreamSettings.idle_s`, it asks each watched folder's gates (`memdir.dream.maybe_start`,
cheapest first: one ``stat`` while the day is not over) and a due run starts as its own
detached process, so the daemon never holds the model or the folder for long.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..dream.settings import DreamSettings
from ..dream.triggers import maybe_start

logger = logging.getLogger(__name__)

TICK_S = 60.0


class IdleDreamer:
    """The daemon's idle check; `prompt_seen` on every recall, `stop` on shutdown."""

    def __init__(
        self,
        folders: Sequence[Path],
        state: Path,
        *,
        settings: DreamSettings | None = None,
        tick_s: float = TICK_S,
    ) -> None:
        self.folders = list(folders)
        self.state = state
        self.settings = settings or DreamSettings.from_env()
        self.tick_s = tick_s
        self._last_prompt = time.monotonic()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memdir-idle-dream", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def prompt_seen(self) -> None:
        self._last_prompt = time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def check(self) -> None:
        """Start a run for every folder whose gates are open, if the daemon is idle."""
        if time.monotonic() - self._last_prompt < self.settings.idle_s:
            return
        for folder in self.folders:
            try:
                decision = maybe_start(folder, self.state, settings=self.settings)
            except Exception:  # noqa: BLE001 - a failed check must not end the daemon
                logger.exception("consolidation check failed for %s", folder)
                continue
            if decision.due:
                logger.info("consolidation started for %s: %s", folder, decision.reason)

    def _loop(self) -> None:
        while not self._stopping.wait(self.tick_s):
            self.check()
