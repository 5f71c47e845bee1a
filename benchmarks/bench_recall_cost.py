"""What a fresh `memory recall --offline` and a fresh hook call cost, next to the floor.

Every figure is the wall time of a new process, as Claude Code pays it on every prompt:

- floor: start Python, list the folder, read the first 4 KB of every file;
- `memory recall --offline QUERY` (run outside any repository: nothing to verify);
- the hook: `memory hook claude-code user-prompt-submit` with a new session's JSON;
- the hook while `memory watch` runs for the folder (the daemon answers);

each warm (memdir's caches filled by an earlier run) and cold (state folder emptied
before every run), at 200 / 2,000 / 10,000 memories. With ``--before EXE`` the same
commands run with another checkout's `memory` (its own venv) in the same run.

    python benchmarks/bench_recall_cost.py [--sizes 200,2000,10000] [--runs 11]
        [--before /path/to/other/.venv/bin/memory]
"""

from __future__ import annotations

import argparse
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
            time.sleep(0.5)
            return proc
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the daemon did not start")


def bench(
    version: Version, folder: Path, tmp: Path, runs: int, cold_runs: int, queries: list[str]
) -> dict[str, list[float]]:
    state = tmp / f"state-{version.name}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env.update(MEMDIR_STATE_DIR=str(state), MEMDIR_OFFLINE="1", MEMDIR_DIR=str(folder))
    env.pop("ANTHROPIC_API_KEY", None)
    cwd = str(tmp)  # outside any repository: nothing to verify, as for a store of notes
    recall = [str(version.exe), "recall", "--offline"]
    hook = [str(version.exe), "hook", "claude-code", "user-prompt-submit"]
    out: dict[str, list[float]] = {
        k: [] for k in ("recall cold", "recall warm", "hook cold", "hook warm", "hook, daemon")
    }
    for i in range(cold_runs):
        q = queries[i % len(queries)]
        shutil.rmtree(state, ignore_errors=True)
        out["recall cold"].append(timed([*recall, q], env=env, cwd=cwd))
        shutil.rmtree(state, ignore_errors=True)
        out["hook cold"].append(timed(hook, env=env, cwd=cwd, stdin=hook_input(folder, cwd, q)))
    timed([*recall, queries[0]], env=env, cwd=cwd)  # fill the caches
    for i in range(runs):
        q = queries[i % len(queries)]
        out["recall warm"].append(timed([*recall, q], env=env, cwd=cwd))
        out["hook warm"].append(timed(hook, env=env, cwd=cwd, stdin=hook_input(folder, cwd, q)))
    daemon = run_daemon(version, folder, env)
    try:
        for i in range(runs):
            q = queries[i % len(queries)]
            out["hook, daemon"].append(
                timed(hook, env=env, cwd=cwd, stdin=hook_input(folder, cwd, q))
            )
    finally:
        daemon.terminate()
        daemon.wait(30)
    return out


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
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            timed(floor_cmd, env=env, cwd=name)
            floor = [timed(floor_cmd, env=env, cwd=name) for _ in range(args.runs)]
            f_med, f_p95 = stats(floor)
            print(f"\n{n:,} memories: floor {f_med * 1e3:.1f} / {f_p95 * 1e3:.1f}")
            cold_runs = args.cold_runs if n < 10_000 else max(3, args.cold_runs // 2)
            for version in versions:
                for what, values in bench(
                    version, folder, tmp, args.runs, cold_runs, queries
                ).items():
                    med, p95 = stats(values)
                    print(
                        f"  {version.name:<7}{what:<14}{med * 1e3:8.1f} / {p95 * 1e3:7.1f}"
                        f"  ({med / f_med:4.2f}x)"
                    )


if __name__ == "__main__":
    main()
