"""What a fresh `memory recall --offline` and a fresh hook call cost, next to the floor.

Every figure is the wall time of a new process, as Claude Code pays it on every prompt:

- floor: start Python, list the folder, read the first 4 KB of every file;
- index floor (for the cold runs): the floor plus what any first recall must do to every
  memory, in the leanest loop we know: split its words, stem them (PyStemmer), count
  them (all three in C) and add them to postings;
- `memory recall --offline QUERY` (run outside any repository: nothing to verify);
- the hook: `memory hook claude-code user-prompt-submit` with a new session's JSON;
- the hook while `memory watch` runs for the folder (the daemon answers);

each warm (memdir's caches filled by an earlier run) and cold (state folder emptied
before every run; what a cold run leaves to a detached process is waited for before the
next measurement, and not counted), at 200 / 2,000 / 10,000 memories. With
``--before EXE`` the same commands run with another checkout's `memory` (its own venv)
in the same run. Runs of the floor and of every version are interleaved, so that a busy
moment of a shared machine weighs on all of them alike; the ratio is to the median of
all floor runs.

    python benchmarks/bench_recall_cost.py [--sizes 200,2000,10000] [--runs 11]
        [--before /path/to/other/.venv/bin/memory]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

WORDS = (
    "deploy freeze billing invoice webhook retry postgres migration dashboard latency oncall "
    "channel review release tests flaky runner cache token budget customer refund ledger "
    "currency rounding schedule owner incident outage alert metric queue worker cron backup "
    "restore schema index vacuum replica failover secret rotation audit export import report"
).split()
TYPES = ("user", "feedback", "project", "reference")
#: Queries whose words are in hundreds of memories: nothing clears the bar, nothing is read.
BROAD = (
    "why did the webhook retry storm take down billing",
    "who owns the postgres failover runbook",
    "can we deploy during the december freeze",
    "where is the latency dashboard for the ledger",
    "how should refunds be rounded in the invoice currency",
)
#: Memories a query names (by its number, as a person names a note), so recall returns
#: and renders something, as it does on most prompts of a real session.
NAMED = (7, 42, 99, 150, 180)
FLOOR = (
    "import os, sys\n"
    "for e in os.scandir(sys.argv[1]):\n"
    "    if e.name.endswith('.md'):\n"
    "        with open(e.path, 'rb') as h: h.read(4096)\n"
)

#: The floor plus indexing every memory in the leanest loop we know: bytes translated to
#: lowercase words in C, stemmed in C (PyStemmer), counted in C, then added to postings.
INDEX_FLOOR = (
    "import os, sys\n"
    "from _collections import _count_elements\n"
    "import Stemmer\n"
    "stem = Stemmer.Stemmer('english').stemWords\n"
    "alnum = b'0123456789abcdefghijklmnopqrstuvwxyz'\n"
    "table = bytes(c + 32 if 65 <= c <= 90 else c if c in alnum else 32 for c in range(256))\n"
    "postings = {}\n"
    "for e in os.scandir(sys.argv[1]):\n"
    "    if e.name.endswith('.md'):\n"
    "        with open(e.path, 'rb') as h: raw = h.read(4096)\n"
    "        counts = {}\n"
    "        _count_elements(counts, stem(raw.translate(table).decode('latin-1').split()))\n"
    "        for term, tf in counts.items():\n"
    "            postings.setdefault(term, {})[e.name] = tf / (1.2 + tf)\n"
)


def make_store(folder: Path, n: int, seed: int = 7) -> list[str]:
    """Write `n` memories; the queries to time: the broad ones and one per named memory."""
    rng = random.Random(seed)
    now = time.time()
    queries = list(BROAD)
    for i in range(n):
        words = rng.sample(WORDS, 8)
        if i in NAMED:
            queries.append(f"what did note {i} say about {words[0]} and {words[3]}")
        body = "\n".join(" ".join(rng.sample(WORDS, 12)) for _ in range(6))
        text = (
            f"---\nname: note {i} {words[0]}\ndescription: {' '.join(words)}\n"
            f"type: {TYPES[i % 4]}\n---\n\n{body}\n**Why:** {words[1]}\n"
            f"**How to apply:** {words[2]}\n"
        )
        path = folder / f"note_{i:05d}.md"
        path.write_text(text)
        mtime = now - rng.randint(0, 400) * 86400
        os.utime(path, (mtime, mtime))
    # Interleaved, so that any run of the medians has both kinds.
    named = queries[len(BROAD) :]
    return [q for pair in zip(BROAD, named, strict=True) for q in pair]


def timed(cmd: list[str], *, env: dict[str, str], cwd: str, stdin: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, check=True)
    return time.perf_counter() - started


def stats(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


class Version:
    """One checkout's `memory` command and the Python of its venv."""

    def __init__(self, name: str, exe: Path) -> None:
        self.name = name
        self.exe = exe
        self.python = exe.with_name("python")


def hook_input(folder: Path, cwd: str, query: str) -> str:
    session = uuid.uuid4().hex
    return json.dumps(
        {
            "session_id": session,
            "transcript_path": f"{cwd}/{session}.jsonl",
            "cwd": cwd,
            "hook_event_name": "UserPromptSubmit",
            "prompt": query,
        }
    )


def run_daemon(version: Version, folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(version.exe), "--dir", str(folder), "watch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        out = subprocess.run(
            [str(version.exe), "--dir", str(folder), "watch", "--status"],
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode == 0 and "running" in out.stdout:
            wait_idle(proc.pid)
            return proc
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the daemon did not start")


class Runner:
    """One version's commands over one folder, with its own state folder."""

    def __init__(self, version: Version, folder: Path, tmp: Path) -> None:
        self.version = version
        self.folder = folder
        self.state = tmp / f"state-{version.name}"
        self.cwd = str(tmp)  # outside any repository: nothing to verify, as for notes
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
        env.update(MEMDIR_STATE_DIR=str(self.state), MEMDIR_OFFLINE="1", MEMDIR_DIR=str(folder))
        env.pop("ANTHROPIC_API_KEY", None)
        self.env = env

    def recall(self, query: str) -> float:
        cmd = [str(self.version.exe), "recall", "--offline", query]
        return timed(cmd, env=self.env, cwd=self.cwd)

    def hook(self, query: str) -> float:
        cmd = [str(self.version.exe), "hook", "claude-code", "user-prompt-submit"]
        return timed(
            cmd, env=self.env, cwd=self.cwd, stdin=hook_input(self.folder, self.cwd, query)
        )

    def forget(self) -> None:
        shutil.rmtree(self.state, ignore_errors=True)

    def settle(self) -> None:
        """Wait for work a cold run left behind: a first recall of a large folder writes its
        index in a detached process, holding a lock file until done. Not measured, but it
        must not run beside the next measurement (of this version, another, or the floor).
        """
        import fcntl

        for lock in (self.state / "cache").glob("*.lock"):
            try:
                fd = os.open(lock, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
            finally:
                os.close(fd)


KINDS = ("recall cold", "recall warm", "hook cold", "hook warm", "hook, daemon")


def wait_idle(pid: int, *, timeout: float = 300.0) -> None:
    """Wait until process `pid` has used no CPU for half a second (Linux: /proc), so that
    a daemon's start-up work (reading every file of a large folder) is not timed as the
    cost of the hooks it answers; elsewhere, a fixed pause."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        time.sleep(2.0)
        return
    deadline = time.monotonic() + timeout
    before = -1
    while time.monotonic() < deadline:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        used = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        if used == before:
            return
        before = used
        time.sleep(0.5)


def bench(
    runners: list[Runner],
    floor: Callable[[], float],
    index_floor: Callable[[], float],
    runs: int,
    cold_runs: int,
    queries: list[str],
) -> tuple[list[float], list[float], dict[str, dict[str, list[float]]]]:
    """Every kind of run for every version, interleaved with runs of the floors, so that a
    busy moment of the machine weighs on all of them alike: (floor times, index floor
    times, times)."""
    floors: list[float] = []
    index_floors: list[float] = []
    out = {r.version.name: {k: [] for k in KINDS} for r in runners}
    for i in range(cold_runs):
        q = queries[i % len(queries)]
        floors.append(floor())
        index_floors.append(index_floor())
        for r in runners:
            r.forget()
            out[r.version.name]["recall cold"].append(r.recall(q))
            r.settle()
            r.forget()
            out[r.version.name]["hook cold"].append(r.hook(q))
            r.settle()
    for r in runners:
        r.recall(queries[0])  # fill the caches
        r.settle()
    for i in range(runs):
        q = queries[i % len(queries)]
        floors.append(floor())
        for r in runners:
            out[r.version.name]["recall warm"].append(r.recall(q))
            out[r.version.name]["hook warm"].append(r.hook(q))
    for r in runners:
        # One daemon at a time: two would both keep the folder's index.
        daemon = run_daemon(r.version, r.folder, r.env)
        try:
            for q in queries[:2]:
                r.hook(q)  # its first answers fill its caches: not what is measured
            wait_idle(daemon.pid)
            for i in range(runs):
                floors.append(floor())
                out[r.version.name]["hook, daemon"].append(r.hook(queries[i % len(queries)]))
        finally:
            daemon.terminate()
            daemon.wait(30)
    return floors, index_floors, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000,10000")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout's .venv/bin/memory")
    args = parser.parse_args()
    versions = [Version("now", Path(sys.executable).with_name("memory"))]
    if args.before:
        versions.append(Version("before", args.before))
    print("fresh-process wall time, median / p95 in ms (ratio to the floor's median)")
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            folder = tmp / "memories"
            folder.mkdir()
            queries = make_store(folder, n)
            floor_cmd = [str(versions[0].python), "-c", FLOOR, str(folder)]
            index_cmd = [str(versions[0].python), "-c", INDEX_FLOOR, str(folder)]
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            timed(floor_cmd, env=env, cwd=name)
            timed(index_cmd, env=env, cwd=name)
            cold_runs = args.cold_runs if n < 10_000 else max(3, args.cold_runs // 2)
            floors, index_floors, out = bench(
                [Runner(v, folder, tmp) for v in versions],
                functools.partial(timed, floor_cmd, env=env, cwd=name),
                functools.partial(timed, index_cmd, env=env, cwd=name),
                args.runs,
                cold_runs,
                queries,
            )
            f_med, f_p95 = stats(floors)
            i_med, i_p95 = stats(index_floors)
            print(
                f"\n{n:,} memories: floor {f_med * 1e3:.1f} / {f_p95 * 1e3:.1f}"
                f", index floor {i_med * 1e3:.1f} / {i_p95 * 1e3:.1f} ({i_med / f_med:4.2f}x)"
            )
            for version in versions:
                for what, values in out[version.name].items():
                    med, p95 = stats(values)
                    # Cold runs are also set against the index floor.
                    versus = f", {med / i_med:4.2f}x index floor" if "cold" in what else ""
                    print(
                        f"  {version.name:<7}{what:<14}{med * 1e3:8.1f} / {p95 * 1e3:7.1f}"
                        f"  ({med / f_med:4.2f}x{versus})"
                    )


if __name__ == "__main__":
    main()
