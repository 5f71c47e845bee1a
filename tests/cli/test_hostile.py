"""Issue 11 through the CLI: one-line errors with the right exit code, typos refused,
broken files managed, terminal escapes never printed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from tests.conftest import memory_cmd, subprocess_env

GOOD = "---\nname: {name}\ndescription: note about {name}\ntype: user\n---\nbody of {name}\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, folder: Path | str, *args: str, input: str | None = None):
    return runner.invoke(cli, ["--dir", str(folder), *args], input=input)


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# 7. Files the CLI saves but cannot manage.
def test_7_add_refuses_what_list_would_not_show(runner: CliRunner, memory_dir: Path) -> None:
    body = "x" * 1_100_000
    result = run(runner, memory_dir, "add", "--type", "user", "--name", "Big",
                 "--description", "huge", "--body", body)  # fmt: skip
    assert result.exit_code == 2
    assert "field 'body'" in one_error_line(result)
    assert not (memory_dir / "big.md").exists()


def test_7_show_edit_forget_work_on_broken_yaml(runner: CliRunner, memory_dir: Path) -> None:
    (memory_dir / "broken.md").write_text("---\nname: [oops\n  - x: {\n---\nthe body\n")
    shown = run(runner, memory_dir, "show", "broken")
    assert shown.exit_code == 0, shown.output
    assert "not a valid memory" in shown.output and "the body" in shown.output
    fixed = GOOD.format(name="Broken")
    edited = runner.invoke(
        cli, ["--dir", str(memory_dir), "edit", "broken"],
        env={"EDITOR": f"sh -c 'printf \"%s\" \"{fixed}\" > \"$1\"' --"},
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output + edited.stderr
    assert run(runner, memory_dir, "show", "Broken").exit_code == 0
    (memory_dir / "broken.md").write_bytes(b"\x00binary")
    assert run(runner, memory_dir, "show", "broken").exit_code == 0
    forgot = run(runner, memory_dir, "forget", "broken")
    assert forgot.exit_code == 0, forgot.stderr
    assert not (memory_dir / "broken.md").exists()


# 8. Raw tracebacks instead of the promised errors.
def test_8_errors_are_one_line_with_the_right_exit_code(
    runner: CliRunner, memory_dir: Path, tmp_path: Path
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)
    (memory_dir / "a.md").write_text(GOOD.format(name="a"))
    for args in (
        ["recall", "what about the database tests", "--project", str(loop)],
        ["lint", "--project", str(loop)],
    ):
        result = run(runner, memory_dir, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "--project" in result.stderr
    readme = tmp_path / "README.md"
    readme.write_text("hi")
    result = run(runner, readme / "sub", "list")
    assert result.exit_code == 2
    assert "is a file, not a folder" in one_error_line(result)


def test_8_proc_nope_init_is_an_error_not_a_traceback() -> None:
    done = subprocess.run(
        [*memory_cmd(), "--dir", "/proc/nope", "init"],
        capture_output=True, text=True, env=subprocess_env(), timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("Error: /proc/nope: cannot create the memory folder")


def test_8_deep_nesting_is_a_file_problem(runner: CliRunner, memory_dir: Path) -> None:
    (memory_dir / "deep.md").write_text(
        "---\nname: deep\ndescription: d\ntype: user\nx:\n"
        + "".join(f"{'  ' * i}- \n" for i in range(1, 80))
        + "---\nb\n"
    )
    (memory_dir / "deeper.md").write_text("---\nx: " + "[" * 3000 + "]" * 3000 + "\n---\n")
    result = run(runner, memory_dir, "lint", "--no-verify")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "deep.md" in result.output and "deeper.md" in result.output


# 9. Typos accepted silently.
def test_9_typos_are_refused(runner: CliRunner, memory_dir: Path, tmp_path: Path) -> None:
    empty = runner.invoke(cli, ["--dir", "", "list"])
    assert empty.exit_code == 2 and "--dir is empty" in one_error_line(empty)
    (memory_dir / "a.md").write_text(GOOD.format(name="a"))
    missing = run(runner, memory_dir, "recall", "notes about a", "--project", "/nonexistent")
    assert missing.exit_code == 2
    assert "--project '/nonexistent' is not a folder" in one_error_line(missing)
    typo = tmp_path / "typo"
    watch = run(runner, typo, "watch", "--detach")
    assert watch.exit_code == 2 and "no memory folder at" in one_error_line(watch)
    assert not typo.exists()


# 12. Terminal escapes.
def test_12_list_and_show_never_print_control_characters(
    runner: CliRunner, memory_dir: Path
) -> None:
    (memory_dir / "evil.md").write_text(
        '---\nname: "Evil \\e]0;PWNED\\a"\ndescription: "desc \\e[2J cleared"\ntype: user\n'
        "---\nbody \x1b[31mred\x1b[0m and \x07 bell\n"
    )
    for args in (["list"], ["show", "evil"], ["index"]):
        result = run(runner, memory_dir, *args)
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.output and "\x07" not in result.output, args
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr, args
    assert "Evil \ufffd]0;PWNED\ufffd" in run(runner, memory_dir, "list").output


# 6. `memory index` repairs what a crash left behind.
def test_6_memory_index_repairs_by_default(runner: CliRunner, memory_dir: Path) -> None:
    (memory_dir / "orphan.md").write_text(GOOD.format(name="orphan"))
    dead = memory_dir / ".999999-x.tmp"
    dead.write_text("half")
    old = os.stat(dead).st_mtime - 7200
    os.utime(dead, (old, old))
    check = run(runner, memory_dir, "index", "--check")
    assert check.exit_code == 1
    fixed = run(runner, memory_dir, "index")
    assert fixed.exit_code == 0 and "added:" in fixed.output
    assert not dead.exists()
    assert run(runner, memory_dir, "index", "--check").exit_code == 0
