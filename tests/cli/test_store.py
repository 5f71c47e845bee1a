import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, folder: Path, *args: str, input: str | None = None):
    return runner.invoke(cli, ["--dir", str(folder), *args], input=input)


def add(runner: CliRunner, folder: Path, name: str, type_: str = "user", body: str = "b"):
    return run(
        runner,
        folder,
        "add",
        "--type",
        type_,
        "--name",
        name,
        "--description",
        f"about {name}",
        "--body",
        body,
    )


def test_where_uses_dir_and_env(runner: CliRunner, tmp_path: Path) -> None:
    assert run(runner, tmp_path / "m", "where").output.strip() == str(tmp_path / "m")
    result = runner.invoke(cli, ["where"], env={"MEMDIR_DIR": str(tmp_path / "e")})
    assert result.output.strip() == str(tmp_path / "e")


def test_where_defaults_to_claude_folder(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "cfg"))
    result = runner.invoke(cli, ["where"])
    assert result.exit_code == 0
    assert result.output.strip().startswith(str(tmp_path / "cfg" / "projects"))
    assert result.output.strip().endswith("/memory")


def test_add_bogus_type_exits_2_and_writes_nothing(runner: CliRunner, memory_dir: Path) -> None:
    result = add(runner, memory_dir, "x", type_="bogus")
    assert result.exit_code == 2
    assert "user, feedback, project, reference" in result.stderr
    assert list(memory_dir.iterdir()) == []


def test_add_list_show_forget(runner: CliRunner, memory_dir: Path) -> None:
    assert add(runner, memory_dir, "Role").exit_code == 0
    assert add(runner, memory_dir, "Freeze", type_="project").exit_code == 0
    listed = run(runner, memory_dir, "list")
    assert listed.exit_code == 0
    assert "Role" in listed.output and "today" in listed.output
    data = json.loads(run(runner, memory_dir, "list", "--json", "--type", "project").output)
    assert [m["name"] for m in data["memories"]] == ["Freeze"]
    assert data["memories"][0]["age_days"] == 0
    shown = run(runner, memory_dir, "show", "Role")
    assert "about Role" in shown.output
    assert run(runner, memory_dir, "forget", "Role").exit_code == 0
    assert not (memory_dir / "role.md").exists()
    missing = run(runner, memory_dir, "show", "Role")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Error: ") and "no memory named 'Role'" in missing.stderr


def test_add_reads_body_from_stdin(runner: CliRunner, memory_dir: Path) -> None:
    result = run(
        runner,
        memory_dir,
        "add",
        "--type",
        "user",
        "--name",
        "N",
        "--description",
        "d",
        input="from stdin\n",
    )
    assert result.exit_code == 0
    assert "from stdin" in (memory_dir / "n.md").read_text()


def test_index_check_and_fix(runner: CliRunner, memory_dir: Path) -> None:
    add(runner, memory_dir, "A")
    (memory_dir / "b.md").write_text("---\nname: B\ndescription: bee\ntype: user\n---\n")
    check = run(runner, memory_dir, "index", "--check")
    assert check.exit_code == 1 and "no entry for b.md" in check.output
    fix = run(runner, memory_dir, "index", "--fix")
    assert fix.exit_code == 0 and "added:   - [B](b.md) — bee" in fix.output
    assert run(runner, memory_dir, "index", "--check").exit_code == 0


def test_edit_keeps_old_file_when_invalid(runner: CliRunner, memory_dir: Path, tmp_path) -> None:
    add(runner, memory_dir, "A")
    before = (memory_dir / "a.md").read_text()
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/type: user/type: nonsense/' \"$1\"\n")
    editor.chmod(0o755)
    result = runner.invoke(
        cli, ["--dir", str(memory_dir), "edit", "A"], env={"EDITOR": str(editor)}
    )
    assert result.exit_code == 2
    assert "field 'type'" in result.stderr
    assert (memory_dir / "a.md").read_text() == before
    kept = Path(result.stderr.split("saved in ")[1].strip())
    assert "type: nonsense" in kept.read_text()


def test_edit_saves_valid_change(runner: CliRunner, memory_dir: Path, tmp_path) -> None:
    add(runner, memory_dir, "A")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/about A/about A, edited/' \"$1\"\n")
    editor.chmod(0o755)
    result = runner.invoke(
        cli, ["--dir", str(memory_dir), "edit", "A"], env={"EDITOR": str(editor)}
    )
    assert result.exit_code == 0, result.stderr
    assert "about A, edited" in (memory_dir / "a.md").read_text()


def test_prompt_includes_types_and_index(runner: CliRunner, memory_dir: Path) -> None:
    add(runner, memory_dir, "Role")
    out = run(runner, memory_dir, "prompt").output
    for word in (
        "`user`",
        "`feedback`",
        "`project`",
        "`reference`",
        "**Why:**",
        "- [Role](role.md)",
    ):
        assert word in out


def test_memory_executable_runs(memory_dir: Path) -> None:
    exe = Path(sys.executable).with_name("memory")
    result = subprocess.run(
        [str(exe), "--dir", str(memory_dir), "list"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert result.returncode == 0 and "No memories" in result.stdout


@pytest.mark.parametrize(
    "filename",
    [
        "my note.md",
        "c#-tips.md",
        "100%-sure.md",
        "a%20b.md",
        "café-notes.md",
        "dir (old)/x y.md",
        "Ünï cödé #2 at 50% [draft].md",  # all four at once
    ],
)
def test_index_fix_then_check_is_clean_for_names_that_need_encoding(
    runner: CliRunner, memory_dir: Path, filename: str
) -> None:
    path = memory_dir / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\nname: Hand made\ndescription: written by hand\ntype: user\n---\nBody\n")
    before = run(runner, memory_dir, "index", "--check")
    assert before.exit_code == 1 and f"no entry for {filename}" in before.output
    fix = run(runner, memory_dir, "index", "--fix")
    assert fix.exit_code == 0, fix.output
    check = run(runner, memory_dir, "index", "--check")
    assert (check.exit_code, "no entry" in check.output, "missing" in check.output) == (
        0,
        False,
        False,
    ), check.output
    index = (memory_dir / "MEMORY.md").read_text()
    assert run(runner, memory_dir, "index", "--fix").exit_code == 0
    assert (memory_dir / "MEMORY.md").read_text() == index  # a second fix changes nothing


def test_index_fix_then_check_is_clean_with_every_such_name_in_one_folder(
    memory_dir: Path,
) -> None:
    # The real executable, as a user runs it, on one folder holding all the names.
    names = [
        "my note.md",
        "c#-tips.md",
        "100%-sure.md",
        "a%20b.md",
        "café-notes.md",
        "日本語 メモ.md",
    ]
    for i, filename in enumerate(names):
        (memory_dir / filename).write_text(
            f"---\nname: Note {i}\ndescription: about {i}\ntype: user\n---\nBody\n"
        )
    from tests.conftest import memory_cmd, subprocess_env

    def memory(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*memory_cmd(), "--dir", str(memory_dir), "index", *args],
            capture_output=True,
            text=True,
            env=subprocess_env(),
        )

    assert memory("--check").returncode == 1
    fixed = memory("--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    index = (memory_dir / "MEMORY.md").read_text(encoding="utf-8")
    assert len(index.splitlines()) == len(names)
    check = memory("--check")
    assert (check.returncode, check.stderr) == (0, ""), check.stdout
    assert "no entry" not in check.stdout and "missing" not in check.stdout
