"""Time reference verification on a synthetic 5,000-file git repository.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_verify.py [--files 5000] [--keep DIR]

Prints, in milliseconds (median and best of several runs):
- floor: ``git ls-files`` plus one plain loop that opens and reads every file once;
- cold: a new verifier with an empty state folder verifying five memories in one batch;
- warm (new verifier): another verifier over the same state folder, as a separate process
  (a hook) would see it: the persisted cache answers;
- warm (same verifier): the same batch again on the same object;
- after editing one file: the project state changed, so tokens missing before are searched
  again in that one file only.
Target: warm and cold under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from memdir.verify import ProjectVerifier, render_note

VERBS = "load parse build render fetch save sync merge index resolve validate apply emit".split()
NOUNS = (
    "config session user token cache index memory record batch request response payload "
    "schema report metric event queue worker job policy route handler client store"
).split()


def _snake(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}_{rng.choice(NOUNS)}"


def _pascal(rng: random.Random) -> str:
    return f"{rng.choice(NOUNS).title()}{rng.choice(NOUNS).title()}{rng.choice(VERBS).title()}er"


def _python_file(rng: random.Random, index: int) -> str:
    lines = ['"""Generated module."""', "", "from __future__ import annotations", "import os", ""]
    for _ in range(rng.randint(3, 8)):
        name = _snake(rng)
        lines += [
            f"def {name}_{index}(value: dict[str, object], *, strict: bool = False) -> object:",
            f'    """{name.replace("_", " ").capitalize()} for the given value."""',
            f'    limit = int(os.environ.get("APP_LIMIT_{index % 50}", "10"))',
            "    if strict and not value:",
            f'        raise ValueError("{name} needs a value")',
            "    result = {key: item for key, item in value.items() if key}",
            "    return result if len(result) < limit else None",
            "",
        ]
    cls = _pascal(rng)
    lines += [f"class {cls}{index}:", f'    """A {cls} record."""', ""]
    for _ in range(rng.randint(2, 5)):
        lines += [f"    def {_snake(rng)}(self) -> None:", "        return None", ""]
    return "\n".join(lines) + "\n"


def _js_file(rng: random.Random, index: int) -> str:
    parts = ["import { useState } from 'react';", ""]
    for _ in range(rng.randint(3, 8)):
        a, b = rng.choice(VERBS), rng.choice(NOUNS).title()
        parts += [
            f"export function {a}{b}{index}(props) {{",
            "  const [state, setState] = useState(null);",
            f"  if (!props.{rng.choice(NOUNS)}) return null;",
            f"  return props.items.map((item) => ({{ ...item, key: '{a}-{index}' }}));",
            "}",
            "",
        ]
    return "\n".join(parts) + "\n"


def build_repo(root: Path, *, files: int = 5000, seed: int = 0) -> None:
    """A git repository of `files` Python, JavaScript and Markdown files, committed."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        package = f"pkg{i % 40}"
        roll = i % 10
        if roll < 6:
            path = root / "src" / package / f"{_snake(rng)}_{i}.py"
            text = _python_file(rng, i)
        elif roll < 9:
            path = root / "web" / "src" / package / f"{_pascal(rng)}{i}.js"
            text = _js_file(rng, i)
        else:
            path = root / "docs" / package / f"note_{i}.md"
            text = "# Notes\n\n" + " ".join(rng.choice(NOUNS) for _ in range(300)) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    cli = root / "src" / "app" / "cli.py"
    cli.parent.mkdir(parents=True, exist_ok=True)
    cli.write_text(
        "import argparse\n\n"
        "def main() -> None:\n"
        "    parser = argparse.ArgumentParser()\n"
        '    parser.add_argument("--dry-run", action="store_true")\n'
        '    parser.add_argument("--since")\n'
        '    url = os.environ["DATABASE_URL"]\n',
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("build/\n*.log\n", encoding="utf-8")
    git = ["git", "-C", str(root), "-c", "user.email=bench@example.invalid", "-c", "user.name=b"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "synthetic"], check=True)


def memories(root: Path) -> list[str]:
    """Five memory bodies naming real, moved, missing paths and identifiers."""
    py = sorted((root / "src").rglob("*.py"))
    js = sorted((root / "web").rglob("*.js"))
    real_py = py[10].relative_to(root).as_posix()
    moved = "old/" + py[20].name
    ident = py[30].read_text().split("def ", 1)[1].split("(", 1)[0]
    js_ident = js[5].read_text().split("export function ", 1)[1].split("(", 1)[0]
    return [
        "The entry point is `src/app/cli.py`; run it with `--dry-run` first.\n"
        "Config lives in `config/settings.yaml` and `$DATABASE_URL`.",
        f"`{ident}()` in {real_py} does the heavy lifting; `{moved}` had the old helper.",
        f"The web client calls `{js_ident}` from {js[5].relative_to(root).as_posix()}.",
        "We dropped `legacy_sync_worker()` and the `--force-rebuild` flag in March.",
        "`APP_LIMIT_20` caps batches; `UserSessionStore` was renamed; see docs/pkg1/note_9.md.",
    ]


def report(label: str, samples: list[float]) -> None:
    """One line: median and best of the samples (the best shows the cost without noise)."""
    median, best = statistics.median(samples), min(samples)
    print(f"{label + ':':40} {median:7.1f} ms median  {best:7.1f} ms best  (n={len(samples)})")


def _time(fn: Callable[[], object], repeat: int = 7) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def floor(root: Path) -> list[float]:
    """Milliseconds for one loop that lists the files and reads each once."""

    def read_all() -> None:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-co", "--exclude-standard", "-z"],
            capture_output=True,
            check=True,
        ).stdout
        for rel in out.decode().split("\0"):
            if rel:
                with open(os.path.join(root, rel), "rb") as handle:
                    handle.read()

    return _time(read_all)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="memdir-bench-"))
    root = args.keep or work / "repo"
    try:
        if not (root / ".git").exists():
            started = time.perf_counter()
            build_repo(root, files=args.files)
            print(f"built {args.files} files in {time.perf_counter() - started:.1f} s")
        bodies = memories(root)
        size = sum(p.stat().st_size for p in root.rglob("*") if ".git" not in p.parts)
        print(f"repository: {root} ({size / 1e6:.1f} MB of files)")

        report("floor (list + read every file once)", floor(root))

        cold = []
        for attempt in range(5):
            verifier = ProjectVerifier(root, state_dir=work / f"state-cold-{attempt}")
            start = time.perf_counter()
            verifier.verify_many(bodies)
            cold.append((time.perf_counter() - start) * 1000)
        report("cold (empty cache, 5 memories)", cold)

        state = work / "state-cold-0"
        report(
            "warm (new verifier, persisted cache)",
            _time(lambda: ProjectVerifier(root, state_dir=state).verify_many(bodies)),
        )
        same = ProjectVerifier(root, state_dir=state)
        report("warm (same verifier)", _time(lambda: same.verify_many(bodies)))

        edited = sorted((root / "src").rglob("*.py"))[-1]
        original = edited.read_text()
        after_edit = []
        for n in range(5):
            edited.write_text(original + f"\n# edit {n}\n")
            start = time.perf_counter()
            ProjectVerifier(root, state_dir=state).verify_many(bodies)
            after_edit.append((time.perf_counter() - start) * 1000)
        edited.write_text(original)
        report("after editing one file (incremental)", after_edit)

        print("\nnotes for the five memories:")
        for body, refs in zip(bodies, same.verify_many(bodies), strict=True):
            print("-", body.splitlines()[0][:70])
            for line in render_note(refs).splitlines():
                print("    " + line)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # states, and the repository unless --keep


if __name__ == "__main__":
    main()
