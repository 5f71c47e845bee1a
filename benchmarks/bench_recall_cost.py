"""Recall's own cost (model excluded) for 200, 2,000 and 10,000 memories, next to the floor.

The floor is the simplest loop that could do the job's I/O: list the folder and read the
first 4 KB of every file. "cold" is a fresh Recaller with empty caches (a new process with
no memdir state); "warm" repeats the recall on the same Recaller with the store unchanged;
"warm, new process" is a fresh Recaller that finds the header cache saved in the state
folder (what a hook process sees). Also times `memory recall --offline` on 200 memories.

    python benchmarks/bench_recall_cost.py [--sizes 200,2000,10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memdir.model.boundary import ModelConfig
from memdir.recall.recaller import Recaller
from memdir.store.folder import MemoryDir

WORDS = (
    "deploy freeze billing invoice webhook retry postgres migration dashboard latency oncall "
    "channel review release tests flaky runner cache token budget customer refund ledger "
    "currency rounding schedule owner incident outage alert metric queue worker cron backup "
    "restore schema index vacuum replica failover secret rotation audit export import report"
).split()
TYPES = ("user", "feedback", "project", "reference")
QUERIES = (
    "why did the webhook retry storm take down billing",
    "who owns the postgres failover runbook",
    "can we deploy during the december freeze",
    "where is the latency dashboard for the ledger",
    "how should refunds be rounded in the invoice currency",
)


def make_store(folder: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = time.time()
    for i in range(n):
        words = rng.sample(WORDS, 8)
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


def floor(folder: Path) -> float:
    started = time.perf_counter()
    for entry in os.scandir(folder):
        if entry.name.endswith(".md"):
            with open(entry.path, "rb") as handle:
                handle.read(4096)
    return time.perf_counter() - started


def timed_recall(recaller: Recaller, query: str) -> float:
    started = time.perf_counter()
    recaller.recall(query, offline=True)
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def bench_size(n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "memories"
        folder.mkdir()
        make_store(folder, n)
        floors = [floor(folder) for _ in range(repeat)]
        colds, warms, reopen = [], [], []
        for r in range(repeat):
            state = Path(tmp) / f"state{r}"
            store = MemoryDir(folder, state=state)
            recaller = Recaller(store, config=ModelConfig(offline=True))
            colds.append(timed_recall(recaller, QUERIES[r % len(QUERIES)]))
            warms.append(statistics.median(timed_recall(recaller, q) for q in QUERIES))
            again = Recaller(MemoryDir(folder, state=state), config=ModelConfig(offline=True))
            reopen.append(timed_recall(again, QUERIES[(r + 1) % len(QUERIES)]))
        f, c, w, o = (statistics.median(x) for x in (floors, colds, warms, reopen))
        print(
            f"{n:>6} | floor {ms(f)} ms | cold {ms(c)} ms ({c / f:4.2f}x) | "
            f"warm {ms(w)} ms ({w / f:4.2f}x) | warm, new process {ms(o)} ms ({o / f:4.2f}x)"
        )


def bench_cli(repeat: int) -> None:
    exe = Path(sys.executable).with_name("memory")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "memories"
        folder.mkdir()
        make_store(folder, 200)
        env = dict(os.environ, MEMDIR_STATE_DIR=str(Path(tmp) / "state"), MEMDIR_OFFLINE="1")
        # Run from a folder outside any repository: nothing to verify against, as for a
        # store of notes; verification has its own benchmark (bench_verify.py).
        cmd = [str(exe), "--dir", str(folder), "recall", "--offline", QUERIES[0]]
        run = {"env": env, "cwd": tmp, "capture_output": True, "check": True}
        subprocess.run(cmd, **run)  # the first run fills the caches
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(cmd, **run)
            times.append(time.perf_counter() - started)
        times.sort()
        print(
            f"`memory recall --offline` on 200 memories (wall clock, new process): "
            f"median {ms(statistics.median(times))} ms, max {ms(times[-1])} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="200,2000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("recall cost, model excluded (median of runs; files in page cache)")
    for n in (int(s) for s in args.sizes.split(",")):
        bench_size(n, args.repeat)
    bench_cli(max(args.repeat, 10))


if __name__ == "__main__":
    main()
