"""Latency of the Claude Code UserPromptSubmit hook, measured as Claude Code runs it.

Builds a throwaway Claude Code config whose memory folder (for a throwaway git project)
holds 200 memories, then runs the real `memory hook claude-code user-prompt-submit`
executable with the hook's JSON on stdin, offline and without a daemon, and reports the
median and 95th percentile wall time. Baselines show what the interpreter and the CLI
cost before the hook does any work.

    python benchmarks/bench_hook.py            # 30 runs each
    python benchmarks/bench_hook.py --runs 60 --memories 500 --json
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import memory_text  # noqa: E402

TARGET_MS = 150.0


def memory_exe() -> list[str]:
    exe = Path(sys.executable).with_name("memory")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "memdir_cli"]


def populate(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    rng = random.Random(7)
    index = []
    for i in range(count):
        filename, text = memory_text(i, rng)
        (folder / filename).write_text(text, encoding="utf-8")
        name = text.split("\n")[1].removeprefix("name: ")
        description = text.split("\n")[2].removeprefix("description: ")
        index.append(f"- [{name}]({filename}) — {description}")
    (folder / "MEMORY.md").write_text("\n".join(index) + "\n", encoding="utf-8")


def time_runs(
    cmd: list[str], *, stdin: str, env: dict[str, str], cwd: Path, runs: int
) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(cmd, input=stdin, env=env, cwd=cwd, capture_output=True, text=True)
        times.append((time.perf_counter() - started) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr}")
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "min_ms": round(ordered[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--memories", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="Keep PYTHONDONTWRITEBYTECODE as set: every start compiles memdir from source.",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="memdir-bench-hook-") as tmp:
        root = Path(tmp)
        project = root / "project"
        (project / ".git").mkdir(parents=True)
        config = root / "claude"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ANTHROPIC_", "MEMDIR_")) and k != "CLAUDE_CONFIG_DIR"
        }
        env.update(
            HOME=str(root / "home"),
            CLAUDE_CONFIG_DIR=str(config),
            MEMDIR_STATE_DIR=str(root / "state"),
        )
        if not args.no_bytecode_cache:
            # An installed package has its bytecode compiled; an editable checkout gets it
            # on first import, unless PYTHONDONTWRITEBYTECODE is set (as in some sandboxes).
            # A private cache keeps the checkout clean.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from memdir.paths import claude_memory_dir

        folder = claude_memory_dir(project, env)
        populate(folder, args.memories)
        exe = memory_exe()
        prompts = [
            "why did the payments deploy go through the canary?",
            "who should I page for the search service on-call?",
            "where is the dashboard for checkout latency?",
        ]
        results: dict[str, dict[str, float]] = {}
        time_runs([*exe, "--help"], stdin="", env=env, cwd=project, runs=1)  # compile once
        results["python -c pass"] = summary(
            time_runs(
                [sys.executable, "-c", "pass"], stdin="", env=env, cwd=project, runs=args.runs
            )
        )
        results["memory --help"] = summary(
            time_runs([*exe, "--help"], stdin="", env=env, cwd=project, runs=args.runs)
        )
        hook_times: list[float] = []
        recalled = 0
        for i in range(args.runs):
            payload = {
                "session_id": f"bench-{i}",  # a new session each run: nothing is skipped
                "transcript_path": str(config / "projects" / "x" / f"bench-{i}.jsonl"),
                "cwd": str(project),
                "hook_event_name": "UserPromptSubmit",
                "prompt": prompts[i % len(prompts)],
            }
            started = time.perf_counter()
            proc = subprocess.run(
                [*exe, "hook", "claude-code", "user-prompt-submit"],
                input=json.dumps(payload),
                env=env,
                cwd=project,
                capture_output=True,
                text=True,
            )
            hook_times.append((time.perf_counter() - started) * 1000)
            if proc.returncode != 0:
                raise SystemExit(f"hook exited {proc.returncode}: {proc.stderr}")
            recalled += bool(proc.stdout.strip())
        # The first run fills the header cache; report the warm runs Claude Code will see.
        results["hook user-prompt-submit (warm)"] = summary(hook_times[1:])
        results["hook user-prompt-submit (first run)"] = {"ms": round(hook_times[0], 1)}
        log = root / "state" / "hooks.log"
        report = {
            "bytecode_cache": not args.no_bytecode_cache,
            "memories": args.memories,
            "runs": args.runs,
            "runs_with_context": recalled,
            "target_ms": TARGET_MS,
            "results": results,
            "hooks_log": log.read_text(encoding="utf-8") if log.exists() else "",
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    cache = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached"
    print(f"{args.memories} memories, {args.runs} runs, offline, no daemon, {cache}")
    for name, numbers in results.items():
        print(f"  {name:38} " + "  ".join(f"{k} {v}" for k, v in numbers.items()))
    median = results["hook user-prompt-submit (warm)"]["median_ms"]
    verdict = "within" if median <= TARGET_MS else "OVER"
    print(f"  runs that printed context: {recalled}/{args.runs}")
    print(f"  median {median} ms is {verdict} the {TARGET_MS:.0f} ms target")
    if report["hooks_log"]:
        print("hooks.log:\n" + report["hooks_log"])


if __name__ == "__main__":
    main()
