"""The recall gate: recent recall queries replayed against the staged folder.

recall logs each query and the files it chose (`memdir.recall.query_log`). Before a plan
is applied, every logged query is ranked offline against the folder as it is and as the
plan leaves it. A memory a query reached before, that it no longer reaches after (neither
the memory itself nor the memory it was merged into comes back), flags the plan: the run
would make something that was being used impossible to find.

Only what the offline ranking reached before is judged: a memory a model once chose but
the offline ranking never finds cannot be judged by an offline replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..progress import Progress, no_progress
from ..recall.offline import OfflineSelector
from ..recall.query_log import read_queries
from ..store.scan import scan
from .plan import Plan

#: Results per replayed query, as in recall.
LIMIT = 5


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A memory a logged query found before the plan and does not find after it."""

    query: str
    file: str
    now: str | None  # where it went (itself, or its survivor); None when archived

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "file": self.file, "now": self.now}


@dataclass(frozen=True, slots=True)
class GateResult:
    """Queries replayed, memories judged, and the ones the plan makes unreachable."""

    replayed: int
    judged: int
    unreachable: tuple[Unreachable, ...]

    @property
    def ok(self) -> bool:
        return not self.unreachable

    def to_json(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "judged": self.judged,
            "unreachable": [u.to_json() for u in self.unreachable],
        }


#: The step `replay` reports to a `Progress`.
REPLAYING = "replaying recall queries"


def replay(
    folder: Path, staged: Path, plan: Plan, *, state: Path, progress: Progress = no_progress
) -> GateResult:
    """Replay `folder`'s logged recall queries against it and against `staged`.

    `progress` hears ``("replaying recall queries", done, total)`` after each query.
    """
    logged = read_queries(state, folder)
    total = len({item.query for item in logged})
    progress(REPLAYING, 0, total)
    if not logged:
        return GateResult(0, 0, ())
    before = scan(folder).memories
    after = scan(staged).memories
    rank_before, rank_after = OfflineSelector(), OfflineSelector()
    judged = 0
    lost: dict[tuple[str, str], Unreachable] = {}
    seen: set[str] = set()
    for item in reversed(logged):  # newest first; a repeated query is replayed once
        if item.query in seen:
            continue
        if seen:
            progress(REPLAYING, len(seen), total)
        seen.add(item.query)
        found_before = {
            s.header.filename for s in rank_before.rank(item.query, before, limit=LIMIT)
        }
        wanted = [f for f in item.files if f in found_before]
        if not wanted:
            continue
        found_after = {s.header.filename for s in rank_after.rank(item.query, after, limit=LIMIT)}
        for file in wanted:
            judged += 1
            target = plan.merged_into(file)
            if target is None or target not in found_after:
                lost.setdefault((item.query, file), Unreachable(item.query, file, target))
    progress(REPLAYING, total, total)
    return GateResult(len(seen), judged, tuple(lost.values()))
