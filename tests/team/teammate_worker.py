"""One teammate for the convergence test, run as its own process.

Remembers, edits, forgets and syncs at random until a deadline or an operation cap,
then writes what it did (created, forgotten, conflict copies, sync errors) as JSON.
Usage: python teammate_worker.py '<json settings>'
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from memdir.errors import MemdirError, TeamSyncError
from memdir.store.folder import MemoryDir
from memdir.team import RetryPolicy, sync_team
from memdir.team.screen import is_conflict_copy


def _body(who: str, n: int) -> str:
    lines = [f"line {i} written by {who} in op {n}" for i in range(6)]
    return "\n".join([*lines, "**Why:** the test says so.", "**How to apply:** always."])


def _team_memories(store: MemoryDir) -> list[str]:
    return [
        h.filename
        for h in store.scan(use_cache=False).memories
        if h.source == "team" and not is_conflict_copy(h.filename)
    ]


def main() -> None:
    settings = json.loads(sys.argv[1])
    who = settings["name"]
    rng = random.Random(settings["seed"])
    store = MemoryDir(Path(settings["memory"]), state=Path(settings["state"]))
    policy = RetryPolicy(budget_s=settings["budget"])
    log: dict[str, list[str]] = {"created": [], "forgotten": [], "conflicts": [], "errors": []}
    n = 0
    while time.time() < settings["deadline"] and n < settings["max_ops"]:
        n += 1
        roll = rng.random()
        try:
            if roll < 0.35:
                saved = store.save(
                    name=f"{who} note {n}",
                    description=f"What {who} learned in step {n} about the deploy",
                    type="project",
                    body=_body(who, n),
                    scope="team",
                )
                log["created"].append(saved.memory.filename)
            elif roll < 0.65:
                names = _team_memories(store)
                if names:
                    name = rng.choice(names)
                    path = store.resolve(name)
                    lines = path.read_text().split("\n")
                    body_lines = [i for i, line in enumerate(lines) if line.startswith("line ")]
                    if body_lines:
                        i = rng.choice(body_lines)
                        lines[i] = f"line edited by {who} in op {n}"
                        store.write_text(name, "\n".join(lines))
            elif roll < 0.75:
                names = _team_memories(store)
                if names:
                    name = rng.choice(names)
                    store.delete(name)
                    log["forgotten"].append(name)
            else:
                result = sync_team(store, policy=policy)
                log["conflicts"] += [copy for _, copy in result.conflicts]
        except TeamSyncError as exc:
            log["errors"].append(f"{exc.kind}: {exc.message}")
        except (MemdirError, FileNotFoundError) as exc:
            # A memory may vanish under us when a sync integrates a teammate's deletion.
            log["errors"].append(f"local: {exc}")
        time.sleep(rng.uniform(0, 0.05))
    Path(settings["log"]).write_text(json.dumps(log))


if __name__ == "__main__":
    main()
