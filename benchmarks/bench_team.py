"""Team memory over git: convergence time, a sync with nothing to do, recall's added cost.

1. Convergence: N teammates (2, 5, 10, 20; separate processes) each save one memory and
   edit one line of a shared memory, then all sync at once against a `git daemon` on
   127.0.0.1; syncs are repeated for whoever is behind until every clone has the
   server's commit. Wall time from the first sync to convergence.
2. A sync with nothing to do (status, fetch, compare): median of 10.
3. Recall (offline) with a 1,000-memory team folder next to 200 private memories, against
   the 200 alone and against 1,200 private ones: cold (empty caches), warm (same
   Recaller), warm in a new process (caches on disk).

    python benchmarks/bench_team.py [--teams 2,5,10,20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import memory_text  # noqa: E402

from memdir.recall.recaller import Recaller  # noqa: E402
from memdir.store.folder import MemoryDir  # noqa: E402
from memdir.team import RetryPolicy, init_team, sync_team  # noqa: E402

SHARED = "shared.md"
SYNC_SNIPPET = """
import sys
from pathlib import Path
from memdir.store.folder import MemoryDir
from memdir.team import RetryPolicy, sync_team
store = MemoryDir(Path(sys.argv[1]), state=Path(sys.argv[2]))
sync_team(store, policy=RetryPolicy(budget_s=120))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def git_daemon(base: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", f"--base-path={base}", "--export-all",
         "--enable=receive-pack", "--listen=127.0.0.1", f"--port={port}", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


def identity(name: str) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": name, "GIT_COMMITTER_NAME": name,
        "GIT_AUTHOR_EMAIL": f"{name}@example.org", "GIT_COMMITTER_EMAIL": f"{name}@example.org",
    }  # fmt: skip


def head(path: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def shared_text() -> str:
    lines = [f"line {i} of the shared runbook" for i in range(40)]
    return (
        "---\nname: Runbook\ndescription: The shared deploy runbook\ntype: project\n---\n"
        + "\n".join(lines)
        + "\n**Why:** one place.\n**How to apply:** read it first.\n"
    )


def converge(n: int, url_base: str, work: Path) -> float:
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(work / f"t{n}.git")], check=True
    )
    url = f"{url_base}/t{n}.git"
    people = []
    for i in range(n):
        os.environ.update(identity(f"mate{i}"))
        store = MemoryDir(
            work / f"n{n}" / f"mate{i}" / "memory", state=work / f"n{n}" / f"mate{i}" / "state"
        )
        init_team(store, url)
        if i == 0:
            (store.path / "team" / SHARED).write_text(shared_text())
            sync_team(store)
        people.append(store)
    for store in people[1:]:
        sync_team(store)
    # The round of changes: a new memory each, and one line of the shared memory each.
    for i, store in enumerate(people):
        store.save(name=f"note from mate{i}", description=f"What mate{i} learned today",
                   type="project", body=f"mate{i} body", scope="team")  # fmt: skip
        shared = store.path / "team" / SHARED
        text = shared.read_text().replace(f"line {i} of", f"line {i} (edited by mate{i}) of")
        shared.write_text(text)
    started = time.perf_counter()
    pending = list(range(n))
    server = work / f"t{n}.git"
    while pending:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SYNC_SNIPPET,
                    str(people[i].path),
                    str(people[i].state_path),
                ],
                env={**os.environ, **identity(f"mate{i}")},
            )
            for i in pending
        ]
        for proc in procs:
            proc.wait()
        target = subprocess.run(
            ["git", "rev-parse", "main"], cwd=server, capture_output=True, text=True, check=True
        ).stdout.strip()
        pending = [i for i in range(n) if head(people[i].path / "team") != target]
    elapsed = time.perf_counter() - started
    files = {tuple(sorted(p.name for p in (s.path / "team").glob("*.md"))) for s in people}
    assert len(files) == 1, "clones differ"
    return elapsed


def noop_sync(url_base: str, work: Path, repeat: int = 10) -> float:
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(work / "noop.git")], check=True
    )
    os.environ.update(identity("solo"))
    store = MemoryDir(work / "noop" / "memory", state=work / "noop" / "state")
    init_team(store, f"{url_base}/noop.git")
    sync_team(store)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        sync_team(store, policy=RetryPolicy(budget_s=30))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def write_memories(folder: Path, n: int, start: int, types: tuple[str, ...] | None = None) -> None:
    rng = random.Random(start)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        name, text = memory_text(i, rng)
        if types is not None:
            text = text.replace("type: user", "type: project").replace(
                "type: feedback", "type: reference"
            )
        (folder / name).write_text(text)


QUERIES = (
    "how do deploys of the payments service work",
    "who is on call for billing",
    "where is the grafana dashboard for search latency",
)


def recall_times(memory: Path, state: Path, repeat: int) -> tuple[float, float, float]:
    cold, warm, fresh = [], [], []
    for r in range(repeat):
        shutil.rmtree(state, ignore_errors=True)
        store = MemoryDir(memory, state=state)
        recaller = Recaller(store)
        t = time.perf_counter()
        recaller.recall(QUERIES[r % 3], offline=True)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        recaller.recall(QUERIES[(r + 1) % 3], offline=True)
        warm.append(time.perf_counter() - t)
        again = Recaller(MemoryDir(memory, state=state))
        t = time.perf_counter()
        again.recall(QUERIES[(r + 2) % 3], offline=True)
        fresh.append(time.perf_counter() - t)
    return (
        statistics.median(cold) * 1000,
        statistics.median(warm) * 1000,
        statistics.median(fresh) * 1000,
    )


def _convergence(url_base: str, work: Path, teams: list[int], repeat: int) -> None:
    print("| teammates | time to converge (median) | runs |")
    print("|---|---|---|")
    for n in teams:
        times = []
        for r in range(repeat):
            sub = work / f"run{n}_{r}"
            sub.mkdir()
            times.append(converge(n, f"{url_base}/run{n}_{r}", sub))
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"| {n} | {statistics.median(times):.2f} s | {runs} |")


def _recall(work: Path, repeat: int) -> None:
    base = work / "recall"
    write_memories(base / "private-only", 200, 0)
    write_memories(base / "with-team", 200, 0)
    (base / "with-team" / "team" / ".git").mkdir(parents=True)
    write_memories(base / "with-team" / "team", 1000, 10_000, types=("project", "reference"))
    write_memories(base / "all-private", 200, 0)
    write_memories(base / "all-private", 1000, 10_000, types=("project", "reference"))
    stores = {
        "200 private": "private-only",
        "200 private + 1,000 team": "with-team",
        "1,200 private": "all-private",
    }
    # Rounds alternate between the stores so that machine load falls on all of them.
    samples: dict[str, list[tuple[float, float, float]]] = {label: [] for label in stores}
    for _ in range(repeat):
        for label, folder in stores.items():
            samples[label].append(recall_times(base / folder, work / "rstate" / folder, 1))
    print("\n| store | cold | warm (same process) | warm, new process |")
    print("|---|---|---|---|")
    for label, runs in samples.items():
        cold, warm, fresh = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"| {label} | {cold:.1f} ms | {warm:.1f} ms | {fresh:.1f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", default="2,5,10,20")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-team-") as tmp:
        work = Path(tmp)
        os.environ["MEMDIR_STATE_DIR"] = str(work / "state")
        server = work / "server"
        server.mkdir()
        with git_daemon(server) as url_base:
            teams = [int(x) for x in args.teams.split(",")]
            _convergence(url_base, server, teams, args.repeat)
            (server / "noop").mkdir()
            noop = noop_sync(url_base + "/noop", server / "noop") * 1000
            print(f"\nA sync with nothing to do: {noop:.0f} ms (median of 10)")
        _recall(work, max(args.repeat, 3))


if __name__ == "__main__":
    main()
