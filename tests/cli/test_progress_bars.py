"""Progress bars: drawn on stderr when it is a terminal (a real pseudo-terminal here), never
under --json, and nothing at all is added when output is piped."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

from memdir.store import MemoryDir
from tests.conftest import memory_cmd, subprocess_env

#: Drawn by rich's bar (the bar's line character).
BAR = "━"


def run(args: list[str], *, terminal: bool, **env: str) -> tuple[str, str, int]:
    """`memory ARGS` as a real process: stdout to a file, stderr to a pseudo-terminal (or
    a pipe); (stdout, stderr, exit code)."""
    environ = subprocess_env(COLUMNS="100", **env)
    environ.pop("FORCE_COLOR", None)
    environ.pop("NO_COLOR", None)
    out_path = Path(environ["HOME"]) / "stdout.txt"
    with open(out_path, "wb") as out:
        if not terminal:
            done = subprocess.run(
                [*memory_cmd(), *args], stdout=out, stderr=subprocess.PIPE, env=environ
            )
            return out_path.read_text("utf-8"), done.stderr.decode("utf-8"), done.returncode
        master, slave = pty.openpty()
        proc = subprocess.Popen([*memory_cmd(), *args], stdout=out, stderr=slave, env=environ)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
        code = proc.wait()
    return out_path.read_text("utf-8"), err.decode("utf-8", "replace"), code


def folder(memory_dir: Path, count: int = 12) -> MemoryDir:
    store = MemoryDir(memory_dir)
    for i in range(count):
        store.save(name=f"Note {i}", description=f"Note number {i}", type="project", body="b")
    store.index_path.write_text("")
    return store


def test_index_draws_a_bar_on_a_terminal(memory_dir: Path) -> None:
    store = folder(memory_dir)
    out, err, code = run(["--dir", str(store.path), "index"], terminal=True)
    assert code == 0, err
    assert "Syncing MEMORY.md: reading memories" in err
    assert BAR in err and "writing MEMORY.md" in err  # each new step is drawn at once
    assert out.count("added:") == 12
    assert BAR not in out


def test_index_check_draws_a_bar_on_a_terminal(memory_dir: Path) -> None:
    store = folder(memory_dir, 3)
    _, err, code = run(["--dir", str(store.path), "index", "--check"], terminal=True)
    assert code == 1
    assert "Checking MEMORY.md: reading memories" in err and BAR in err


def test_index_piped_prints_nothing_extra(memory_dir: Path) -> None:
    store = folder(memory_dir)
    out, err, code = run(["--dir", str(store.path), "index"], terminal=False)
    assert code == 0
    assert err == ""
    assert out.count("added:") == 12 and BAR not in out


def test_no_bar_under_json_even_on_a_terminal(memory_dir: Path) -> None:
    store = folder(memory_dir)
    out, err, code = run(["--dir", str(store.path), "index", "--json"], terminal=True)
    assert code == 0
    assert BAR not in err and "Syncing" not in err
    assert '"added"' in out


def test_force_color_does_not_put_a_bar_in_a_pipe(memory_dir: Path) -> None:
    store = folder(memory_dir)
    _, err, _ = run(["--dir", str(store.path), "index"], terminal=False, FORCE_COLOR="1")
    assert err == ""
