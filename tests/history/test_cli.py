"""The history commands: log, show --at, diff, undo, restore, history prune."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from memdir_cli.main import cli

from memdir import MemoryDir

from .helpers import PLANTED, files_of, memory_text


def run(memory_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--dir", str(memory_dir), *args])


def ok(memory_dir: Path, *args: str) -> str:
    result = run(memory_dir, *args)
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def add(memory_dir: Path, name: str, body: str = "text", *extra: str) -> None:
    ok(
        memory_dir,
        "add",
        "--type",
        "project",
        "--name",
        name,
        "--description",
        f"About {name} in detail",
        "--body",
        body,
        *extra,
    )


def test_log_lists_operations_newest_first(memory_dir: Path) -> None:
    add(memory_dir, "alpha")
    add(memory_dir, "beta")
    lines = ok(memory_dir, "log").splitlines()
    assert len(lines) == 2
    assert "cli" in lines[0] and "add beta.md (project): About beta in detail" in lines[0]
    assert "just now" in lines[0]
    data = json.loads(ok(memory_dir, "log", "--json", "-n", "1"))
    [op] = data["operations"]
    assert op["actor"] == "cli" and op["files"] == ["beta.md", "MEMORY.md"]
    assert ok(memory_dir, "log", "alpha").count("\n") == 1
    assert ok(memory_dir, "log", "--actor", "mcp").startswith("No operations")
    assert ok(memory_dir, "log", "--since", "2000-01-01").count("\n") == 2


def test_log_path_is_outside_the_folder(memory_dir: Path) -> None:
    add(memory_dir, "alpha")
    path = Path(ok(memory_dir, "log", "--path").strip())
    assert (path / "HEAD").is_file()
    assert not path.is_relative_to(memory_dir)
    assert sorted(p.name for p in memory_dir.iterdir()) == ["MEMORY.md", "alpha.md"]


def test_bad_dates_and_ids_are_usage_errors(memory_dir: Path) -> None:
    add(memory_dir, "alpha")
    result = run(memory_dir, "log", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "field 'since'" in result.stderr
    result = run(memory_dir, "undo", "zzzz")
    assert result.exit_code == 2
    assert "is not an operation id" in result.stderr


def test_undo_refuses_across_a_later_operation_and_force_works(memory_dir: Path) -> None:
    add(memory_dir, "alpha", "one")
    first = json.loads(ok(memory_dir, "log", "--json"))["operations"][0]["id"][:8]
    before_edit = files_of(memory_dir)
    add(memory_dir, "alpha", "two", "--force")
    later = json.loads(ok(memory_dir, "log", "--json"))["operations"][0]["id"][:8]
    result = run(memory_dir, "undo", first)
    assert result.exit_code == 1
    assert f"operation {later}" in result.stderr and "--force" in result.stderr
    out = ok(memory_dir, "undo")
    assert out.startswith("Undone as ")
    assert files_of(memory_dir) == before_edit
    data = json.loads(ok(memory_dir, "undo", first, "--force", "--json"))
    assert data["undoes"].startswith(first)
    # The folder as before the first add: no memory, and no index yet either.
    assert files_of(memory_dir) == {}


def test_forget_says_how_to_restore_and_restore_brings_it_back(memory_dir: Path) -> None:
    add(memory_dir, "alpha", "precious words")
    before = files_of(memory_dir)
    result = CliRunner().invoke(cli, ["--dir", str(memory_dir), "forget", "alpha"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "memory restore alpha" in result.output
    assert not (memory_dir / "alpha.md").exists()
    out = ok(memory_dir, "restore", "alpha")
    assert out.startswith("Restored as ")
    assert files_of(memory_dir) == before
    summaries = [
        op["summary"].split()[0]
        for op in json.loads(ok(memory_dir, "log", "alpha", "--json"))["operations"]
    ]
    assert summaries == ["add", "delete", "add"]


def test_show_at_and_restore_at(memory_dir: Path) -> None:
    add(memory_dir, "alpha", "version one")
    first = json.loads(ok(memory_dir, "log", "--json"))["operations"][0]["id"]
    add(memory_dir, "alpha", "version two", "--force")
    assert "version one" in ok(memory_dir, "show", "alpha", "--at", first[:8])
    assert "version two" in ok(memory_dir, "show", "alpha")
    ok(memory_dir, "restore", "alpha", "--at", first[:10])
    assert "version one" in (memory_dir / "alpha.md").read_text()
    result = run(memory_dir, "show", "alpha", "--at", "1999-01-01")
    assert result.exit_code == 2
    assert "nothing was recorded by" in result.stderr


def test_diff_shows_the_change(memory_dir: Path) -> None:
    add(memory_dir, "alpha", "old line")
    add(memory_dir, "alpha", "new line", "--force")
    out = ok(memory_dir, "diff")
    assert "-old line" in out and "+new line" in out
    assert "--- a/alpha.md" in out


def test_log_reports_a_file_left_out_for_a_credential(memory_dir: Path) -> None:
    add(memory_dir, "alpha")
    (memory_dir / "leak.md").write_text(memory_text("leak", "A leak", f"key {PLANTED}"))
    out = ok(memory_dir, "log")
    assert "skipped (not recorded): leak.md: holds a credential" in out
    assert PLANTED not in out
    data = json.loads(ok(memory_dir, "log", "--json"))
    assert data["skipped"][0]["file"] == "leak.md"
    lint = run(memory_dir, "lint")
    assert "leak.md" in lint.output and "secret" in lint.output


def test_history_prune_squashes_old_operations(memory_dir: Path) -> None:
    for name in ("alpha", "beta", "gamma"):
        add(memory_dir, name)
    before = files_of(memory_dir)
    out = ok(memory_dir, "history", "prune", "--before", "2999-01-01")
    assert out.startswith("Squashed 3 operations")
    log = json.loads(ok(memory_dir, "log", "--json"))["operations"]
    assert len(log) == 1 and log[0]["summary"].startswith("squash 3 operations")
    assert files_of(memory_dir) == before
    store = MemoryDir(memory_dir)
    assert store.recorder.path.is_dir()
    assert ok(memory_dir, "history", "prune", "--before", "2999-01-01").startswith("Nothing")


def test_history_off_says_why(memory_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEMDIR_HISTORY", "off")
    add(memory_dir, "alpha")
    result = run(memory_dir, "log")
    assert result.exit_code == 1
    assert "history is off: turned off by MEMDIR_HISTORY=off" in result.stderr
