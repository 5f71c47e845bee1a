"""Ten teammates (separate processes) edit and sync at random; everyone converges.

Plus one teammate whose remote is unreachable for the whole run: it keeps working and
converges on its first sync once the remote is back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from memdir.team.repo import REMOTE
from memdir.team.screen import is_conflict_copy

from .conftest import GitServer, free_port

WORKER = Path(__file__).with_name("teammate_worker.py")
TEAMMATES = 10
RUN_SECONDS = 15.0
OPS_EACH = 25  # 11 * 25 = 275 operations at most


def test_ten_teammates_converge(git_server: GitServer, teammates, tmp_path: Path) -> None:
    url = git_server.create()
    people = [teammates(f"mate{i}") for i in range(TEAMMATES)]
    offline = teammates("offline")
    for person in [*people, offline]:
        person.init(url)
    # The offline teammate's remote points at a port nobody listens on.
    dead = f"git://127.0.0.1:{free_port()}/team.git"
    subprocess.run(
        ["git", "remote", "set-url", REMOTE, dead], cwd=offline.store.path / "team", check=True
    )
    deadline = time.time() + RUN_SECONDS
    procs = []
    for i, person in enumerate([*people, offline]):
        settings = {
            "name": person.name,
            "seed": 1000 + i,
            "memory": str(person.store.path),
            "state": str(person.store.state_path),
            "deadline": deadline,
            "max_ops": OPS_EACH,
            "budget": 0.5 if person is offline else 20.0,
            "log": str(tmp_path / f"{person.name}.json"),
        }
        env = {
            "GIT_AUTHOR_NAME": person.name,
            "GIT_COMMITTER_NAME": person.name,
            "GIT_AUTHOR_EMAIL": f"{person.name}@example.org",
            "GIT_COMMITTER_EMAIL": f"{person.name}@example.org",
        }
        import os

        procs.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(settings)],
                env={**os.environ, **env},
            )
        )
    for proc in procs:
        assert proc.wait(timeout=RUN_SECONDS + 120) == 0
    logs = {
        p.name: json.loads((tmp_path / f"{p.name}.json").read_text()) for p in [*people, offline]
    }
    assert all(e.startswith("network") for e in logs["offline"]["errors"] if "local" not in e)

    # Back online: the first sync converges it; then everyone syncs in turn, twice.
    subprocess.run(
        ["git", "remote", "set-url", REMOTE, url], cwd=offline.store.path / "team", check=True
    )
    first = offline.sync()
    assert first.pushed or not logs["offline"]["created"]
    conflicts = [c for log in logs.values() for c in log["conflicts"]] + [
        c for _, c in first.conflicts
    ]
    for _round in range(2):
        for person in people:
            conflicts += [c for _, c in person.sync().conflicts]
    offline.sync()

    reference = people[0].team_files()
    for person in [*people[1:], offline]:
        assert person.team_files() == reference, person.name
    created = {f.removeprefix("team/") for log in logs.values() for f in log["created"]}
    forgotten = {f.removeprefix("team/") for log in logs.values() for f in log["forgotten"]}
    total_ops = sum(len(log["created"]) for log in logs.values())
    assert total_ops > 20  # the run really did something
    for person in people:
        for error in logs[person.name]["errors"]:
            # Only a budget spent on a busy or slow remote may fail a sync during the run.
            assert error.startswith(("local:", "network:", "rejected:")), error
    assert created - forgotten <= set(reference)
    for copy in conflicts:
        assert copy in reference, copy
        assert is_conflict_copy(copy)
    for name, data in reference.items():
        for line in data.decode().splitlines():
            assert not line.startswith(("<<<<<<<", ">>>>>>>", "=======")), name
    for person in [*people, offline]:
        report = person.store.scan(use_cache=False)
        assert not report.problems, (person.name, report.problems)
        status_dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=person.store.path / "team",
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert status_dirty == "", (person.name, status_dirty)
