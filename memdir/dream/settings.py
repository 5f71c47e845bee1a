"""Thresholds of consolidation: when it runs, how much it may retire, what counts as stale."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DreamSettings:
    """Every threshold of a run, each one configurable (``MEMDIR_DREAM_*``).

    `retire_fraction` bounds the memories one run may retire (archive without merging into
    a survivor), at least one; retirements over `budget_days` are counted together, so
    many small runs cannot erode a store either.
    """

    min_hours: float = 24.0
    min_sessions: int = 5
    lock_stale_s: float = 3600.0
    retire_fraction: float = 0.10
    budget_days: float = 7.0
    #: A `project` memory whose named files are all gone is retired past this age.
    stale_days: int = 90
    #: The daemon starts a run after this long without a recall.
    idle_s: float = 600.0
    max_turns: int = 8
    budget_s: float = 180.0
    call_budget_s: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DreamSettings:
        """Defaults, overridden by ``MEMDIR_DREAM_MIN_HOURS``, ``..._MIN_SESSIONS``,
        ``..._RETIRE_FRACTION``, ``..._BUDGET_DAYS``, ``..._STALE_DAYS``, ``..._IDLE_S``.
        Unreadable values are ignored."""
        env = os.environ if env is None else env
        values: dict[str, float | int] = {}
        for key, kind in (
            ("min_hours", float),
            ("min_sessions", int),
            ("retire_fraction", float),
            ("budget_days", float),
            ("stale_days", int),
            ("idle_s", float),
        ):
            raw = env.get(f"MEMDIR_DREAM_{key.upper()}", "").strip()
            if not raw:
                continue
            try:
                value = kind(raw)
            except ValueError:
                continue
            if value >= 0:
                values[key] = value
        return cls(**values)  # type: ignore[arg-type]

    def retire_limit(self, memories: int) -> int:
        """How many of `memories` may be retired in one run, and over the budget window."""
        return max(1, int(memories * self.retire_fraction + 1e-9))
