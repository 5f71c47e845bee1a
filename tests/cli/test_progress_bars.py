"""Progress bars: drawn on stderr when it is a terminal (a real pseudo-terminal here), never
under --json, and nothing at all is added when output is piped."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

from memdir.store import MemoryDir
from tests.conftest import memory_cmd, subprocess_env
from tests.extract_helpers import correction_lines, memory_text, write_lines
from tests.fake_anthropic import FakeAnthropic

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


def test_dream_draws_its_phases_on_a_terminal(memory_dir: Path) -> None:
    store = folder(memory_dir, 3)
    out, err, code = run(["--dir", str(store.path), "dream", "--offline"], terminal=True)
    assert code == 0, err
    assert "Consolidating: copying the folder" in err and BAR in err
    assert "Consolidating: replaying recall queries" in err
    assert out.startswith("Run ") and BAR not in out
    _, piped, _ = run(["--dir", str(store.path), "dream", "--offline"], terminal=False)
    assert piped == ""


def test_extract_wait_draws_the_model_turns_on_a_terminal(
    memory_dir: Path, tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    store = folder(memory_dir, 1)
    transcript = write_lines(tmp_path / "s1.jsonl", correction_lines())
    fake_anthropic.reply_tool_use(
        ("memory", {"command": "create", "path": "/memories/a.md", "file_text": memory_text("A")})
    )
    fake_anthropic.reply_text("Saved one.")
    args = ["--dir", str(store.path), "extract", "--transcript", str(transcript), "--wait"]
    model = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    out, err, code = run(args, terminal=True, **model)
    assert code == 0, err
    assert "Extracting: reading transcript" in err and "Extracting: model turns" in err
    assert "Extracting: memories written" in err
    assert "created: a.md" in out


def test_extract_wait_piped_prints_nothing_extra(
    memory_dir: Path, tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    store = folder(memory_dir, 1)
    transcript = write_lines(tmp_path / "s1.jsonl", correction_lines())
    fake_anthropic.reply_text("Nothing to keep.")
    args = ["--dir", str(store.path), "extract", "--transcript", str(transcript), "--wait"]
    model = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    out, err, code = run(args, terminal=False, **model)
    assert code == 0 and err == ""
    assert "nothing" in out


def test_team_sync_draws_its_phases_on_a_terminal(memory_dir: Path, tmp_path: Path) -> None:
    store = folder(memory_dir, 1)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    git = {
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@example.org",
    }
    _, err, code = run(
        ["--dir", str(store.path), "team", "init", str(remote)], terminal=True, **git
    )
    assert code == 0, err
    assert "Team: cloning" in err
    out, err, code = run(["--dir", str(store.path), "team", "sync"], terminal=True, **git)
    assert code == 0, err
    assert "Team sync: committing" in err and "Team sync: fetching" in err and BAR in err
    assert out.startswith("Synced with ")
    out, err, code = run(["--dir", str(store.path), "team", "sync"], terminal=False, **git)
    assert code == 0 and err == "" and out.startswith("Synced with ")
