"""What the `memory watch` daemon costs and buys: latency, idle CPU, memory, recall speed.

Runs a real daemon (`memory --dir D watch`) on throwaway folders and reports:

- event-to-index latency: time from a file's write to its line in MEMORY.md, for single
  edits (one file, then a pause) and for each file of a 1,000-file burst (median, p99);
- CPU the daemon uses over an idle period (``/proc/<pid>/stat`` utime+stime), which must
  be ~0 because nothing polls, and its resident memory (``VmRSS``);
- hook-style recall latency for 200 memories, with and without the daemon: a fresh
  process per recall, as a hook runs, both as ``memory recall --json`` and as a minimal
  script; plus the socket round trip alone from a running process.

    python benchmarks/bench_daemon.py                       # 60 idle seconds (about 2 min)
    python benchmarks/bench_daemon.py --idle-seconds 5      # quick run
    python benchmarks/bench_daemon.py --json

Linux only (it reads /proc). Recall is offline and without reference checks, so the
figures are the daemon's, not the model's or git's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _corpus import memory_text  # noqa: E402

from memdir.store.index import linked_files  # noqa: E402

QUERIES = [
    "why did the payments deploy go through the canary?",
    "who should I page for the search service on-call?",
    "where is the dashboard for checkout latency?",
    "which tests for billing need the local database?",
    "who reviews changes to the ledger code?",
]


def populate(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    for i in range(count):
        name, text = memory_text(i, rng)
        (folder / name).write_text(text, encoding="utf-8")


def memory_exe() -> list[str]:
    exe = Path(sys.executable).with_name("memory")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "memdir_cli"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values_ms), 1),
        "p99_ms": round(pct(values_ms, 0.99), 1),
        "min_ms": round(min(values_ms), 1),
        "n": len(values_ms),
    }


def linked(folder: Path) -> set[str]:
    try:
        return linked_files((folder / "MEMORY.md").read_text(encoding="utf-8"))
    except (FileNotFoundError, UnicodeDecodeError):
        return set()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" closing the command name: field 14 (utime) and 15 (stime) are 11 and 12.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def daemon(folder: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [*memory_exe(), "--dir", str(folder), "watch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        from memdir.daemon.wire import ping

        deadline = time.monotonic() + 30
        while (ping(folder) or {}).get("pid") != proc.pid:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"daemon did not start; see {log}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        proc.wait(30)


def wait_linked(folder: Path, name: str, timeout: float = 10.0) -> float:
    """Seconds (monotonic clock) at which `name` first appears in MEMORY.md."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in linked(folder):
            return time.monotonic()
        time.sleep(0.002)
    raise SystemExit(f"{name} never reached the index")


def bench_edits(folder: Path, edits: int) -> list[float]:
    rng = random.Random(11)
    latencies = []
    for i in range(edits):
        name, text = memory_text(10_000 + i, rng)
        written = time.monotonic()
        (folder / name).write_text(text, encoding="utf-8")
        latencies.append((wait_linked(folder, name) - written) * 1000)
        time.sleep(0.3)  # let the debouncer go quiet: each edit is its own batch
    return latencies


def bench_burst(folder: Path, count: int) -> tuple[list[float], float]:
    rng = random.Random(13)
    written: dict[str, float] = {}
    for i in range(count):
        name, text = memory_text(20_000 + i, rng)
        (folder / name).write_text(text, encoding="utf-8")
        written[name] = time.monotonic()
    last_write = time.monotonic()
    seen: dict[str, float] = {}
    deadline = time.monotonic() + 30
    while len(seen) < count and time.monotonic() < deadline:
        now = time.monotonic()
        for name in linked(folder).intersection(written).difference(seen):
            seen[name] = now
        time.sleep(0.005)
    if len(seen) < count:
        raise SystemExit(f"only {len(seen)} of {count} burst files reached the index")
    latencies = [(seen[n] - written[n]) * 1000 for n in written]
    return latencies, (max(seen.values()) - last_write) * 1000


def time_process(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr}")
    return elapsed, proc.stdout


CLIENT = """
import json, sys
from pathlib import Path
from memdir.daemon.client import daemon_recall
answer = daemon_recall(Path(sys.argv[1]), query=sys.argv[2], offline=True, connect_timeout=0.05)
if answer is None:
    sys.exit("no daemon")
print(answer["rendered"])
"""
DIRECT = """
import sys
from pathlib import Path
from memdir.recall.recaller import Recaller
from memdir.store.folder import MemoryDir
print(Recaller(MemoryDir(sys.argv[1])).recall(sys.argv[2], offline=True).render())
"""


def bench_recall(folder: Path, env: dict[str, str], cwd: Path, runs: int) -> dict[str, Any]:
    exe = memory_exe()
    out: dict[str, Any] = {}
    cases = {
        "memory recall --json, daemon": lambda q: [*exe, "--dir", str(folder), "recall", q,
                                                    "--json", "--no-verify", "--offline"],
        "memory recall --json, no daemon": lambda q: [*exe, "--dir", str(folder), "recall", q,
                                                       "--json", "--no-verify", "--offline",
                                                       "--no-daemon"],
        "minimal client script, daemon": lambda q: [sys.executable, "-c", CLIENT, str(folder), q],
        "minimal script doing the recall": lambda q: [sys.executable, "-c", DIRECT, str(folder), q],
    }  # fmt: skip
    outputs: dict[str, list[str]] = {}
    for label, build in cases.items():
        time_process(build(QUERIES[0]), env, cwd)  # warm the OS file cache and bytecode
        times = []
        outputs[label] = []
        for i in range(runs):
            elapsed, stdout = time_process(build(QUERIES[i % len(QUERIES)]), env, cwd)
            times.append(elapsed)
            outputs[label].append(stdout)
        out[label] = summary(times)
    same_json = (
        outputs["memory recall --json, daemon"] == outputs["memory recall --json, no daemon"]
    )
    same_text = (
        outputs["minimal client script, daemon"] == outputs["minimal script doing the recall"]
    )
    out["identical_json"] = same_json
    out["identical_rendered"] = same_text
    # The socket round trip alone, from a process that is already running (a library hook).
    from memdir.daemon.client import daemon_recall

    trips = []
    for i in range(runs * 5):
        started = time.perf_counter()
        answer = daemon_recall(folder, query=QUERIES[i % len(QUERIES)], offline=True)
        trips.append((time.perf_counter() - started) * 1000)
        assert answer is not None
    out["daemon_recall() from a running process"] = summary(trips)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--memories", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20, help="Recall runs per variant.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="memdir-bench-daemon-") as tmp:
        root = Path(tmp)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ANTHROPIC_", "MEMDIR_")) and k != "CLAUDE_CONFIG_DIR"
        }
        env.update(HOME=str(root / "home"), MEMDIR_STATE_DIR=str(root / "state"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        os.environ["MEMDIR_STATE_DIR"] = env["MEMDIR_STATE_DIR"]
        report: dict[str, Any] = {}

        watched = root / "watched"
        populate(watched, 50)
        with daemon(watched, env, root / "daemon-watched.log") as proc:
            report["rss_after_start_mb"] = round(rss_mb(proc.pid), 1)
            report["single_edit"] = summary(bench_edits(watched, args.edits))
            burst, all_in = bench_burst(watched, args.burst)
            report["burst"] = {**summary(burst), "all_indexed_after_last_write_ms": round(all_in)}
            time.sleep(2.0)  # let the last batch and its status write finish
            before, started = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(args.idle_seconds)
            used, wall = cpu_seconds(proc.pid) - before, time.monotonic() - started
            report["idle"] = {
                "seconds": round(wall, 1),
                "cpu_seconds": round(used, 3),
                "cpu_percent": round(100 * used / wall, 3),
            }
            report["rss_after_burst_mb"] = round(rss_mb(proc.pid), 1)
            report["memories_watched"] = len(linked(watched))

        recall_dir = root / "recall"
        populate(recall_dir, args.memories)
        with daemon(recall_dir, env, root / "daemon-recall.log") as proc:
            report["recall"] = bench_recall(recall_dir, env, root, args.runs)
            report["rss_recall_daemon_mb"] = round(rss_mb(proc.pid), 1)
        report["recall_memories"] = args.memories

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"event-to-index latency (debounce 250 ms), {report['memories_watched']} memories at end")
    print(f"  single edits ({args.edits}): " + _fmt(report["single_edit"]))
    print(f"  {args.burst}-file burst, per file: " + _fmt(report["burst"]))
    print(
        f"  burst: all indexed {report['burst']['all_indexed_after_last_write_ms']} ms "
        "after the last write"
    )
    idle = report["idle"]
    print(f"idle CPU over {idle['seconds']} s: {idle['cpu_seconds']} s ({idle['cpu_percent']} %)")
    print(
        f"RSS: {report['rss_after_start_mb']} MB after start (50 memories), "
        f"{report['rss_after_burst_mb']} MB after the burst, "
        f"{report['rss_recall_daemon_mb']} MB for the {args.memories}-memory recall daemon"
    )
    print(f"recall, {args.memories} memories, offline, fresh process per call ({args.runs} runs):")
    for label, numbers in report["recall"].items():
        if isinstance(numbers, dict):
            print(f"  {label:42} " + _fmt(numbers))
    print(f"  identical JSON with and without the daemon: {report['recall']['identical_json']}")
    print(f"  identical rendered text: {report['recall']['identical_rendered']}")


def _fmt(numbers: dict[str, Any]) -> str:
    return (
        f"median {numbers['median_ms']} ms, p99 {numbers['p99_ms']} ms, min {numbers['min_ms']} ms"
    )


if __name__ == "__main__":
    main()
