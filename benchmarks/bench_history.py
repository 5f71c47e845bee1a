"""What recording history costs: per write, for log and undo on a long history, on disk.

Prints, from one run on throwaway folders:

- the added cost of history per write: `MemoryDir.save` timed with history on and off
  (p50 / p95, same process, interleaved so load affects both alike);
- the two ways to write git's format, per recorded write: the git command line (hash-object,
  update-index, write-tree, commit-tree, update-ref: one process each) and dulwich
  in-process (what memdir uses), plus dulwich's import cost in a fresh process;
- `memory log -n 20` and `memory undo` on a history of --ops operations (default
  10,000), as fresh `memory` processes the way people run them;
- the history's size on disk per 1,000 operations (loose objects are packed as it grows).

    python benchmarks/bench_history.py                  # 10,000 operations (several minutes)
    python benchmarks/bench_history.py --ops 2000       # quicker
    python benchmarks/bench_history.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memdir import MemoryDir  # noqa: E402
from memdir.history import Actor  # noqa: E402

MEMORY = "---\nname: {name}\ndescription: {description}\ntype: project\n---\n\n{body}\n"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(values, 0.50) * 1000, 2),
        "p95_ms": round(pct(values, 0.95) * 1000, 2),
    }


def memory_exe() -> list[str]:
    exe = Path(sys.executable).with_name("memory")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "memdir_cli"]


def bench_write_cost(root: Path, writes: int, existing: int) -> dict[str, Any]:
    """`save` with history on vs off, interleaved, on folders that already hold memories."""
    stores: dict[str, MemoryDir] = {}
    for mode in ("on", "off"):
        folder = root / f"write-{mode}"
        folder.mkdir()
        for i in range(existing):
            (folder / f"old-{i:04d}.md").write_text(
                MEMORY.format(name=f"old {i}", description=f"Older memory {i}", body="x")
            )
        os.environ["MEMDIR_HISTORY"] = mode
        store = MemoryDir(folder, state=root / f"state-{mode}")
        store.sync_index()  # the existing files become the first operation
        assert store.recorder.enabled is (mode == "on")
        stores[mode] = store
    os.environ.pop("MEMDIR_HISTORY", None)
    times: dict[str, list[float]] = {"on": [], "off": []}
    for i in range(writes):
        for mode, store in stores.items():
            start = time.perf_counter()
            store.save(
                name=f"note {i}",
                description=f"A note written by the benchmark, number {i}",
                type="project",
                body=f"Line one of note {i}.\nLine two.\n",
            )
            times[mode].append(time.perf_counter() - start)
    on, off = ms(times["on"]), ms(times["off"])
    return {
        "writes": writes,
        "memories_already_in_folder": existing,
        "history_on": on,
        "history_off": off,
        "added_p50_ms": round(on["p50_ms"] - off["p50_ms"], 2),
        "added_p95_ms": round(on["p95_ms"] - off["p95_ms"], 2),
    }


def bench_backends(root: Path, writes: int) -> dict[str, Any]:
    """One memory file written then recorded, per write: git CLI vs dulwich in-process."""
    git = shutil.which("git")
    result: dict[str, Any] = {}
    if git is not None:
        git_dir = root / "cli.git"
        work = root / "cli-work"
        work.mkdir()
        subprocess.run([git, "init", "-q", "--bare", str(git_dir)], check=True)
        env = dict(
            os.environ,
            GIT_DIR=str(git_dir),
            GIT_INDEX_FILE=str(git_dir / "index"),
            GIT_AUTHOR_NAME="cli",
            GIT_AUTHOR_EMAIL="memdir@localhost",
            GIT_COMMITTER_NAME="cli",
            GIT_COMMITTER_EMAIL="memdir@localhost",
        )
        parent = ""
        times = []
        for i in range(writes):
            path = work / f"note-{i}.md"
            path.write_text(MEMORY.format(name=f"n{i}", description=f"note {i}", body="b"))
            start = time.perf_counter()

            def out(*args: str, data: str | None = None) -> str:
                return subprocess.run(
                    [git, *args], input=data, env=env, capture_output=True, text=True, check=True
                ).stdout.strip()

            sha = out("hash-object", "-w", "--stdin-paths", data=str(path) + "\n")
            out("update-index", "--add", "--index-info", data=f"100644 {sha}\t{path.name}\n")
            tree = out("write-tree")
            commit = out(
                "commit-tree", tree, "-m", f"add {path.name}", *(["-p", parent] if parent else [])
            )
            out("update-ref", "refs/heads/main", commit, *([parent] if parent else []))
            parent = commit
            times.append(time.perf_counter() - start)
        result["git_cli"] = ms(times)
    folder = root / "dulwich-work"
    folder.mkdir()
    store = MemoryDir(folder, state=root / "state-dulwich")
    history = store.recorder
    history.record(Actor("cli"))
    times = []
    for i in range(writes):
        (folder / f"note-{i}.md").write_text(
            MEMORY.format(name=f"n{i}", description=f"note {i}", body="b")
        )
        start = time.perf_counter()
        history.record(Actor("cli"))
        times.append(time.perf_counter() - start)
    result["dulwich"] = ms(times)
    code = "import dulwich.object_store, dulwich.objects, dulwich.index"
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        with_import = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        runs.append(with_import - (time.perf_counter() - start))
    result["dulwich_import_ms"] = round(statistics.median(runs) * 1000, 1)
    return result


def build_history(root: Path, ops: int) -> MemoryDir:
    """A folder whose history holds `ops` operations on ~200 memories."""
    folder = root / "long"
    folder.mkdir()
    store = MemoryDir(folder, state=root / "state-long", actor="cli")
    history = store.recorder
    for i in range(ops):
        n = i % 200
        (folder / f"memory-{n:03d}.md").write_text(
            MEMORY.format(name=f"memory {n}", description=f"Memory {n}", body=f"revision {i}")
        )
        history.record(Actor("cli"))
    return store


def timed_cli(folder: Path, state: Path, *args: str, runs: int) -> dict[str, float]:
    env = dict(os.environ, MEMDIR_STATE_DIR=str(state))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [*memory_exe(), "--dir", str(folder), *args], env=env, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return ms(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=10_000, help="length of the long history")
    parser.add_argument("--writes", type=int, default=200, help="writes timed per mode")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        root = Path(tmp)
        report["write_cost"] = bench_write_cost(root, args.writes, existing=200)
        report["backends"] = bench_backends(root, min(args.writes, 100))
        start = time.perf_counter()
        store = build_history(root, args.ops)
        built = time.perf_counter() - start
        history = store.recorder
        report["long_history"] = {
            "operations": args.ops,
            "build_s": round(built, 1),
            "record_per_op_ms": round(built / args.ops * 1000, 2),
            "memory_log_n20": timed_cli(store.path, store.state_path, "log", "-n", "20", runs=10),
            "memory_undo": timed_cli(store.path, store.state_path, "undo", "--force", runs=10),
            "size_bytes": history.size_on_disk(),
            "size_per_1000_ops_kb": round(history.size_on_disk() / args.ops * 1000 / 1024, 1),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    w = report["write_cost"]
    print(f"write cost ({w['writes']} saves each, {w['memories_already_in_folder']} memories):")
    print(f"  history on : p50 {w['history_on']['p50_ms']} ms  p95 {w['history_on']['p95_ms']} ms")
    print(
        f"  history off: p50 {w['history_off']['p50_ms']} ms  p95 {w['history_off']['p95_ms']} ms"
    )
    print(f"  added      : p50 {w['added_p50_ms']} ms  p95 {w['added_p95_ms']} ms")
    b = report["backends"]
    print("record one write, by backend:")
    if "git_cli" in b:
        print(f"  git CLI  : p50 {b['git_cli']['p50_ms']} ms  p95 {b['git_cli']['p95_ms']} ms")
    print(
        f"  dulwich  : p50 {b['dulwich']['p50_ms']} ms  p95 {b['dulwich']['p95_ms']} ms"
        f"  (+{b['dulwich_import_ms']} ms import, once per process)"
    )
    h = report["long_history"]
    print(
        f"history of {h['operations']} operations (built in {h['build_s']} s, "
        f"{h['record_per_op_ms']} ms per op):"
    )
    print(
        f"  memory log -n 20: p50 {h['memory_log_n20']['p50_ms']} ms  "
        f"p95 {h['memory_log_n20']['p95_ms']} ms"
    )
    print(
        f"  memory undo     : p50 {h['memory_undo']['p50_ms']} ms  "
        f"p95 {h['memory_undo']['p95_ms']} ms"
    )
    print(
        f"  size on disk    : {h['size_bytes'] / 1024 / 1024:.1f} MB, "
        f"{h['size_per_1000_ops_kb']} KB per 1,000 operations"
    )


if __name__ == "__main__":
    main()
