"""The loss guard: how many memories a run may retire, and which ones never alone.

- One run may retire (archive without a survivor holding the facts) at most
  `DreamSettings.retire_limit` memories: 10 % of the folder, at least one.
- Retirements over the last `budget_days` are counted together against the same limit
  (the ledger ``retired.jsonl``), so ten runs of 8 % cannot take 80 % in a week.
- A ``user`` or ``feedback`` memory is retired only when a newer memory states that it
  supersedes it: people's preferences and corrections are not the model's to drop.

A plan over any of these is held: nothing is applied, and the verdict says what would be
lost and that ``--allow-loss`` applies it anyway.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .layout import DreamFiles
from .plan import Plan
from .settings import DreamSettings

_PROTECTED = ("user", "feedback")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's answer for one plan."""

    ok: bool
    retired: tuple[str, ...]
    limit: int
    window_used: int
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "retired": list(self.retired),
            "limit": self.limit,
            "window_used": self.window_used,
            "problems": list(self.problems),
        }


def retired_in_window(files: DreamFiles, *, now: float, days: float) -> int:
    """Memories retired by applied runs over the last `days`."""
    total = 0
    cutoff = now - days * 86400
    try:
        lines = files.ledger.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    for line in lines:
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            record = json.loads(line)
            if float(record["at"]) >= cutoff:
                total += len(record["files"])
    return total


def record_retired(files: DreamFiles, run_id: str, retired: Sequence[str], *, now: float) -> None:
    """Add an applied run's retirements to the ledger (one JSON line)."""
    if not retired:
        return
    files.root.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"at": now, "run": run_id, "files": list(retired)})
    with open(files.ledger, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def check(
    plan: Plan,
    *,
    memories: int,
    files: DreamFiles,
    settings: DreamSettings,
    now: float | None = None,
) -> Verdict:
    """Judge `plan` for a folder of `memories` memories."""
    now = time.time() if now is None else now
    limit = settings.retire_limit(memories)
    used = retired_in_window(files, now=now, days=settings.budget_days)
    retired = plan.retired
    problems: list[str] = []
    if len(retired) > limit:
        problems.append(
            f"the plan retires {len(retired)} of {memories} memories; one run may retire at "
            f"most {limit} ({settings.retire_fraction:.0%}, at least 1)"
        )
    elif used + len(retired) > limit:
        problems.append(
            f"{used} memories were retired in the last {settings.budget_days:g} days; "
            f"{len(retired)} more would pass the budget of {limit} for that window"
        )
    for entry in retired:
        if entry.type in _PROTECTED and entry.superseded_by is None:
            problems.append(
                f"{entry.file} is a {entry.type} memory: it is retired only when a newer "
                "memory states `supersedes:` it"
            )
    return Verdict(not problems, tuple(e.file for e in retired), limit, used, tuple(problems))
