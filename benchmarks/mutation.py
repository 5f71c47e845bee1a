"""Mutation testing of memdir's core: how many small planted bugs the tests catch.

Run by hand (`make mutation`, or `python benchmarks/mutation.py [module ...]`); it is far
too slow for `make test`. For each core module, mutmut 3 plants one small change at a time
(an operator, a constant, a string, a dropped argument ...) and runs the tests that reach
the changed function; a mutant the tests still pass with "survived". The run prints each
module's kill rate and the surviving mutants as diffs, which are read and acted on: a test
that kills them, or a note in BENCHMARKS.md on why one is equivalent or harmless.

Why a scratch copy per module: mutmut 3 rewrites the source under ``mutants/`` next to a
``pyproject.toml`` that configures it, and our layout (``cli/`` installed as
``memdir_cli``) is not one it guesses. Each module gets its own copy of the source and
the tests, a ``[tool.mutmut]`` table naming that module and the test files that exercise
it, and its own run: the runtime stays bounded (only those tests, only the tests that
cover each mutated function) and the work tree is never touched. Tests that reach the
code only through a subprocess (the real `memory` executable, a second process taking a
lock) cannot see a mutant, which lives in the test process, so the slowest of those are
left out of the subsets.

Needs mutmut (``pip install -e '.[mutation]'``); `make mutation` installs it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Slow tests whose work happens in other processes, where no mutant is active.
_SUBPROCESS_ONLY = (
    "not two_processes_saving"
    " and not five_processes"
    " and not runs_detached"
    " and not another_process"
    " and not memory_executable_runs"
    " and not import_does_not_load"
    " and not two_creators"
)


@dataclass(frozen=True)
class Target:
    """One module to mutate and the tests that exercise it."""

    module: str
    tests: tuple[str, ...]
    deselect: str = _SUBPROCESS_ONLY


def _history(*names: str) -> tuple[str, ...]:
    return tuple(f"tests/history/test_{name}.py" for name in names)


TARGETS: tuple[Target, ...] = (
    Target(
        "memdir/store/folder.py",
        (
            "tests/store/test_folder.py",
            "tests/store/test_folderbase.py",
            "tests/store/test_hostile.py",
            "tests/store/test_indexsync.py",
            "tests/store/test_validate.py",
            "tests/extract/test_memory_tool.py",
            "tests/team/test_scope.py",
            "tests/cli/test_store.py",
        ),
    ),
    Target(
        "memdir/store/folderbase.py",
        (
            "tests/store/test_folderbase.py",
            "tests/store/test_folder.py",
            "tests/store/test_indexsync.py",
            "tests/store/test_validate.py",
            "tests/extract/test_memory_tool.py",
            "tests/cli/test_store.py",
        ),
    ),
    Target(
        "memdir/store/folderindex.py",
        (
            "tests/store/test_indexsync.py",
            "tests/store/test_folder.py",
            "tests/store/test_folderbase.py",
            "tests/cli/test_store.py",
        ),
    ),
    Target(
        "memdir/store/index.py",
        (
            "tests/store/test_index.py",
            "tests/store/test_indexsync.py",
            "tests/store/test_folder.py",
            "tests/cli/test_store.py",
        ),
    ),
    Target(
        "memdir/store/indexsync.py",
        ("tests/store/test_indexsync.py", "tests/store/test_folder.py", "tests/cli/test_store.py"),
    ),
    Target(
        "memdir/store/scan.py",
        (
            "tests/store/test_scan.py",
            "tests/store/test_hostile.py",
            "tests/store/test_validate.py",
            "tests/store/test_folder.py",
            "tests/lint/test_check.py",
        ),
    ),
    Target(
        "memdir/store/filetext.py",
        (
            "tests/store/test_filetext.py",
            "tests/store/test_scan.py",
            "tests/store/test_hostile.py",
            "tests/store/test_validate.py",
        ),
    ),
    Target(
        "memdir/store/memoryfile.py",
        (
            "tests/store/test_memoryfile.py",
            "tests/store/test_scan.py",
            "tests/store/test_validate.py",
            "tests/store/test_hostile.py",
            "tests/store/test_folder.py",
            "tests/lint/test_check.py",
        ),
    ),
    Target(
        "memdir/store/validate.py",
        (
            "tests/store/test_validate.py",
            "tests/store/test_hostile.py",
            "tests/store/test_folder.py",
            "tests/lint/test_check.py",
        ),
    ),
    # The corpus tests of test_secrets_paths, without the slow one that writes every
    # example through every path (the detection it relies on is tested beside it).
    Target(
        "memdir/store/secrets.py",
        ("tests/store/test_secrets.py", "tests/store/test_secrets_paths.py"),
        _SUBPROCESS_ONLY + " and not every_write_path_refuses",
    ),
    Target(
        "memdir/store/secretshapes.py",
        ("tests/store/test_secrets.py", "tests/store/test_secrets_paths.py"),
        _SUBPROCESS_ONLY + " and not every_write_path_refuses",
    ),
    Target(
        "memdir/recall/offline.py",
        ("tests/recall/test_offline.py", "tests/recall/test_recaller.py"),
        # The model-path tests (fallbacks, prefilter of 200) take ~20 s each per mutant.
        _SUBPROCESS_ONLY
        + " and not same_prompt_twice and not more_than_200 and not failures_fall_back"
        + " and not connection_refused and not session_byte_budget",
    ),
    Target(
        "memdir/recall/scoring.py",
        (
            "tests/recall/test_offline.py",
            "tests/recall/test_termindex.py",
            "tests/recall/test_config.py",
        ),
        _SUBPROCESS_ONLY + " and not concurrent_processes",
    ),
    Target(
        "memdir/recall/termindex.py",
        ("tests/recall/test_termindex.py", "tests/recall/test_lean.py"),
        _SUBPROCESS_ONLY + " and not concurrent_processes and not warm_fresh_process",
    ),
    Target(
        "memdir/recall/indexed.py",
        ("tests/recall/test_termindex.py", "tests/recall/test_lean.py"),
        _SUBPROCESS_ONLY + " and not concurrent_processes and not warm_fresh_process",
    ),
    Target("memdir/model/boundary.py", ("tests/model/test_boundary.py",)),
    Target(
        "memdir/model/breaker.py",
        ("tests/model/test_breaker.py", "tests/model/test_boundary.py"),
    ),
    Target("memdir/extract/extractor.py", ("tests/extract/test_extractor.py",)),
    Target("memdir/extract/queue.py", ("tests/extract/test_queue.py",)),
    Target(
        "memdir/extract/schedule.py",
        ("tests/extract/test_schedule.py", "tests/extract/test_queue.py"),
    ),
    # history/: each module's own tests, then the recording tests over a bare folder.
    Target("memdir/history/records.py", _history("records", "recording")),
    Target("memdir/history/summary.py", _history("summary", "recording")),
    Target("memdir/history/snapshot.py", _history("snapshot", "recording")),
    Target("memdir/history/repo.py", _history("repo", "reading", "recording")),
    Target("memdir/history/reading.py", _history("reading", "recording", "history")),
    Target("memdir/history/history.py", _history("recording", "history", "reading")),
)

# mutmut's exit codes for a mutant's test run, as its own `status_by_exit_code` reads them.
_STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "type check",
    -9: "segfault",
    -11: "segfault",
}
_CAUGHT = {"killed", "timeout", "type check", "segfault"}


@dataclass
class Outcome:
    """One module's run."""

    module: str
    statuses: Counter[str] = field(default_factory=Counter)
    survivors: list[tuple[str, str]] = field(default_factory=list)  # (mutant, diff)
    seconds: float = 0.0
    error: str | None = None

    @property
    def total(self) -> int:
        """Mutants checked (those a time limit left unchecked are not counted)."""
        return sum(n for status, n in self.statuses.items() if status != "not checked")

    @property
    def caught(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in _CAUGHT)

    @property
    def rate(self) -> float:
        return self.caught / self.total if self.total else 0.0


def _config(target: Target) -> str:
    args = ["-p", "no:cacheprovider", "-q", "-x"]
    if target.deselect:
        args += ["-k", target.deselect]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["memdir"]\n'
        # Tests read these through paths relative to the test files, which mutmut runs
        # from its own copy of `tests/`.
        'also_copy = ["examples", "benchmarks/recall_quality"]\n'
        f"only_mutate = [{json.dumps(target.module)}]\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}\n"
        f"pytest_add_cli_args = {json.dumps(args)}\n"
        "use_git_change_detection = false\n"
    )


def _scratch(target: Target, base: Path) -> Path:
    """A copy of what the tests need, with mutmut configured for `target`."""
    work = base / re.sub(r"[^A-Za-z0-9]+", "_", target.module.removesuffix(".py"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in ("memdir", "tests", "examples"):
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    (work / "benchmarks").mkdir()
    shutil.copytree(ROOT / "benchmarks" / "recall_quality", work / "benchmarks" / "recall_quality")
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(text + _config(target), encoding="utf-8")
    return work


def _mutmut(work: Path, *args: str, timeout: float | None = None) -> tuple[str, bool]:
    """Run mutmut in `work`; its output, and whether it was stopped at `timeout`."""
    exe = Path(sys.executable).with_name("mutmut")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "mutmut"]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    # Its own session, so a stop at the time limit ends the forked test processes too.
    proc = subprocess.Popen(
        [*command, *args],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        return out, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        return out, True


def run_target(
    target: Target, base: Path, *, children: int, timeout: float, diffs: bool
) -> Outcome:
    """Mutate one module in its own scratch copy and collect what happened to each mutant."""
    outcome = Outcome(target.module)
    work = _scratch(target, base)
    started = time.monotonic()
    output, stopped = _mutmut(work, "run", "--max-children", str(children), timeout=timeout)
    outcome.seconds = time.monotonic() - started
    if stopped:
        outcome.error = f"stopped at the {timeout:.0f} s limit: the rest is not checked"
    meta = work / "mutants" / (target.module + ".meta")
    if not meta.exists():
        outcome.error = (outcome.error or "mutmut produced no results") + "\n" + output[-2000:]
        return outcome
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    for name, code in sorted(codes.items(), key=lambda item: _natural(item[0])):
        status = "not checked" if code is None else _STATUS.get(code, "suspicious")
        outcome.statuses[status] += 1
        if status not in _CAUGHT and status != "not checked":
            shown = _mutmut(work, "show", name, timeout=120)[0] if diffs else ""
            outcome.survivors.append((f"{name} ({status})", _diff_only(shown)))
    return outcome


def _natural(name: str) -> tuple[str, int]:
    head, _, number = name.rpartition("_")
    return (head, int(number)) if number.isdigit() else (name, 0)


def _diff_only(shown: str) -> str:
    lines = shown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("@@")), 0)
    return "\n".join(line for line in lines[start:] if line.startswith(("+", "-", "@@")))


_HEADER = (
    f"{'module':<32}{'mutants':>8}{'caught':>8}{'survived':>9}{'other':>7}{'kill %':>8}{'time':>8}"
)


def _row(o: Outcome) -> str:
    other = o.total - o.caught - o.statuses["survived"]
    return (
        f"{o.module:<32}{o.total:>8}{o.caught:>8}{o.statuses['survived']:>9}{other:>7}"
        f"{100 * o.rate:>7.1f}%{o.seconds:>7.0f}s{o.statuses['not checked']:>11}"
    )


def print_outcome(o: Outcome, *, diffs: bool) -> None:
    """One module's line and its survivors, printed as soon as the module is done."""
    print(_HEADER)
    print(_row(o))
    if o.error:
        print(f"    ERROR: {o.error}")
    for name, diff in o.survivors:
        print(f"-- {name}")
        if diffs and diff:
            print(diff)
    print(flush=True)


def print_summary(outcomes: list[Outcome]) -> None:
    """The kill rate per module and over all of them."""
    print("Summary")
    print(_HEADER)
    for o in outcomes:
        print(_row(o) + (f"  ERROR: {o.error.splitlines()[0]}" if o.error else ""))
    total = sum(o.total for o in outcomes)
    caught = sum(o.caught for o in outcomes)
    if total:
        seconds = sum(o.seconds for o in outcomes)
        print(
            f"{'all':<32}{total:>8}{caught:>8}{total - caught:>9}{'':>7}"
            f"{100 * caught / total:>7.1f}%{seconds:>7.0f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules", nargs="*", help="modules to mutate (a part of the path is enough); default all"
    )
    parser.add_argument("--children", type=int, default=2, help="parallel test processes")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds before one module's run is stopped"
    )
    parser.add_argument("--workdir", type=Path, help="keep the scratch copies here")
    parser.add_argument("--diffs", action="store_true", help="show each survivor's diff")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args()

    targets = [t for t in TARGETS if not args.modules or any(m in t.module for m in args.modules)]
    if args.list or not targets:
        for t in targets or TARGETS:
            print(f"{t.module}: {' '.join(t.tests)}")
        return
    base = args.workdir or Path(tempfile.mkdtemp(prefix="memdir-mutation-"))
    outcomes = []
    try:
        for target in targets:
            print(f"mutating {target.module} ...", file=sys.stderr, flush=True)
            outcome = run_target(
                target, base, children=args.children, timeout=args.timeout, diffs=args.diffs
            )
            print_outcome(outcome, diffs=args.diffs)
            outcomes.append(outcome)
    finally:
        if args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    print_summary(outcomes)


if __name__ == "__main__":
    main()
