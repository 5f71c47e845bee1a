"""`memory install claude-code` / `memory uninstall claude-code`: merging into settings.json."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.errors import ConfigurationError
from memdir.integrations.claude_code.install import (
    HOOKS,
    memory_command,
    plan_install,
    plan_uninstall,
    settings_path,
)
from memdir.paths import state_dir
from tests.conftest import memory_cmd, subprocess_env

THEIRS: dict[str, Any] = {
    "model": "opus",
    "permissions": {"allow": ["Bash(make test)"]},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "audit-bash"}]}
        ],
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "~/bin/prompt-guard"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done", "timeout": 3}]}],
    },
    "env": {"FOO": "1"},
}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_settings(path: Path, data: Any) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def commands(data: dict[str, Any], event: str) -> list[str]:
    return [h["command"] for group in data["hooks"].get(event, []) for h in group["hooks"]]


def backups(folder: Path) -> list[Path]:
    """Backups of `folder`'s settings.json: in the state folder, never next to the file."""
    assert sorted(folder.glob("*.bak-*")) == []
    return sorted((state_dir() / "backups" / "claude-code").glob("*-settings.json.bak-*"))


def test_install_keeps_other_hooks_and_settings_and_second_run_changes_nothing(
    runner: CliRunner, config: Path
) -> None:
    settings = config / "settings.json"
    original = write_settings(settings, THEIRS)

    first = runner.invoke(cli, ["install", "claude-code"])

    assert first.exit_code == 0, first.output
    assert "Installed memdir's hooks for UserPromptSubmit, Stop, SessionEnd" in first.output
    data = json.loads(settings.read_text())
    # Everything that was there is still there, in the same order, with the same values.
    assert list(data) == list(THEIRS)
    for key in ("model", "permissions", "env"):
        assert data[key] == THEIRS[key]
    assert data["hooks"]["PreToolUse"] == THEIRS["hooks"]["PreToolUse"]
    assert list(data["hooks"]) == ["PreToolUse", "UserPromptSubmit", "Stop", "SessionEnd"]
    prompt_cmds = commands(data, "UserPromptSubmit")
    assert prompt_cmds[0] == "~/bin/prompt-guard"
    assert prompt_cmds[1].endswith(" hook claude-code user-prompt-submit")
    assert commands(data, "Stop")[0] == "notify-send done"
    assert commands(data, "Stop")[1].endswith(" hook claude-code stop")
    assert commands(data, "SessionEnd")[0].endswith(" hook claude-code session-end")
    # The executable is named by absolute path, so Claude Code's PATH does not matter.
    exe = shlex.split(prompt_cmds[1])[0]
    assert os.path.isabs(exe) and os.access(exe, os.X_OK)
    (backup,) = backups(config)
    assert backup.read_text() == original

    snapshot = settings.read_text()
    second = runner.invoke(cli, ["install", "claude-code"])

    assert second.exit_code == 0
    assert "already installed" in second.output and "nothing changed" in second.output
    assert settings.read_text() == snapshot
    assert len(backups(config)) == 1


def test_install_creates_a_missing_settings_file(runner: CliRunner, config: Path) -> None:
    result = runner.invoke(cli, ["install", "claude-code", "--user"])

    assert result.exit_code == 0, result.output
    data = json.loads((config / "settings.json").read_text())
    assert set(data["hooks"]) == {spec.event for spec in HOOKS}
    timeouts = {e: data["hooks"][e][0]["hooks"][0]["timeout"] for e in data["hooks"]}
    assert timeouts == {spec.event: spec.timeout for spec in HOOKS}
    assert backups(config) == []  # nothing to back up


def test_uninstall_removes_only_ours(runner: CliRunner, config: Path) -> None:
    settings = config / "settings.json"
    write_settings(settings, THEIRS)
    runner.invoke(cli, ["install", "claude-code"])

    result = runner.invoke(cli, ["uninstall", "claude-code"])

    assert result.exit_code == 0, result.output
    assert "Removed memdir's hooks for UserPromptSubmit, Stop, SessionEnd" in result.output
    assert json.loads(settings.read_text()) == THEIRS
    again = runner.invoke(cli, ["uninstall", "claude-code"])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_uninstall_drops_only_containers_it_emptied(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    ours = "/opt/memdir/bin/memory hook claude-code stop"
    write_settings(
        settings,
        {
            "hooks": {
                "Stop": [
                    {"hooks": [{"type": "command", "command": ours}]},
                    {"hooks": [{"type": "command", "command": ours}, {"command": "keep-me"}]},
                ],
                "PreCompact": [{"hooks": []}],
            }
        },
    )

    change = plan_uninstall(settings)

    assert json.loads(change.after) == {
        "hooks": {
            "Stop": [{"hooks": [{"command": "keep-me"}]}],
            "PreCompact": [{"hooks": []}],  # empty before: not ours to tidy
        }
    }
    only_ours = tmp_path / "only.json"
    write_settings(
        only_ours, {"theme": "dark", "hooks": {"Stop": [{"hooks": [{"command": ours}]}]}}
    )
    assert json.loads(plan_uninstall(only_ours).after) == {"theme": "dark"}


def test_dry_run_prints_a_diff_and_writes_nothing(runner: CliRunner, config: Path) -> None:
    settings = config / "settings.json"
    original = write_settings(settings, THEIRS)

    result = runner.invoke(cli, ["install", "claude-code", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"--- {settings}\n+++ {settings}\n")
    assert '+            "command": ' in result.output
    assert "hook claude-code user-prompt-submit" in result.output
    assert "dry run" in result.output
    assert settings.read_text() == original
    assert backups(config) == []

    runner.invoke(cli, ["install", "claude-code"])
    installed = settings.read_text()
    dry = runner.invoke(cli, ["uninstall", "claude-code", "--dry-run"])
    assert dry.exit_code == 0
    assert '-            "command": ' in dry.output
    assert settings.read_text() == installed


def test_dry_run_on_a_missing_file_creates_nothing(runner: CliRunner, config: Path) -> None:
    result = runner.invoke(cli, ["install", "claude-code", "--dry-run"])

    assert result.exit_code == 0
    assert result.output.startswith("--- /dev/null\n")
    assert not config.exists()


def test_invalid_json_is_refused_naming_the_file(runner: CliRunner, config: Path) -> None:
    settings = config / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"hooks": {,}}\n', encoding="utf-8")

    result = runner.invoke(cli, ["install", "claude-code"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {settings}: is not valid JSON (")
    assert "Nothing was changed" in result.stderr
    assert settings.read_text() == '{"hooks": {,}}\n'
    assert backups(config) == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([1, 2], "holds a JSON list, not an object"),
        ({"hooks": []}, "field 'hooks': must be an object of events"),
        ({"hooks": {"Stop": {}}}, "field 'Stop': must be a list of hook groups"),
    ],
)
def test_unexpected_shapes_are_refused(tmp_path: Path, data: Any, problem: str) -> None:
    settings = tmp_path / "settings.json"
    write_settings(settings, data)

    with pytest.raises(ConfigurationError) as caught:
        plan_install(settings, command="/x/memory")

    assert problem in str(caught.value)


def test_install_updates_a_stale_entry_of_ours_in_place(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    old = "/old/venv/bin/memory hook claude-code user-prompt-submit"
    write_settings(
        settings,
        {
            "hooks": {
                "UserPromptSubmit": [
                    {"hooks": [{"type": "command", "command": "first"}]},
                    {"hooks": [{"type": "command", "command": old, "timeout": 30}]},
                    {"hooks": [{"type": "command", "command": "last"}]},
                ]
            }
        },
    )

    change = plan_install(settings, command="/new/bin/memory")

    groups = json.loads(change.after)["hooks"]["UserPromptSubmit"]
    assert [g["hooks"][0]["command"] for g in groups] == [
        "first",
        "/new/bin/memory hook claude-code user-prompt-submit",
        "last",
    ]
    assert groups[1]["hooks"][0]["timeout"] == 10
    assert "UserPromptSubmit" in change.events


def test_install_keeps_the_files_indentation(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{\n    "model": "opus"\n}\n', encoding="utf-8")

    after = plan_install(settings, command="/x/memory").after

    assert after.startswith('{\n    "model": "opus",\n    "hooks": {\n        "UserPromptSubmit"')


def test_project_and_local_scopes_use_the_git_root(
    runner: CliRunner, tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    monkeypatch.chdir(project / "src")

    assert settings_path("project") == project / ".claude" / "settings.json"
    assert settings_path("local") == project / ".claude" / "settings.local.json"
    on_path(tmp_path, monkeypatch)
    result = runner.invoke(cli, ["install", "claude-code", "--project"])
    assert result.exit_code == 0, result.output
    assert (project / ".claude" / "settings.json").exists()
    assert not (config / "settings.json").exists()


def test_memory_command_names_the_executable_by_absolute_path(tmp_path: Path) -> None:
    exe = tmp_path / "my venv" / "bin" / "memory"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)

    assert memory_command(argv0=str(exe)) == shlex.quote(str(exe))
    assert shlex.split(memory_command(argv0=str(exe))) == [str(exe)]
    # Started some other way (python -m, a test runner): the script next to the interpreter.
    python = tmp_path / "my venv" / "bin" / "python"
    assert memory_command(argv0="/x/pytest", python=str(python)) == shlex.quote(str(exe))
    # No script at all: run the package with the interpreter.
    other = tmp_path / "bare" / "python3"
    assert memory_command(argv0="-c", python=str(other)) == f"{other} -m memdir_cli"


def test_installed_command_runs_through_sh_like_claude_code(tmp_path: Path, config: Path) -> None:
    """The exact command string from settings.json, run by /bin/sh with a bare PATH."""
    subprocess.run(
        [*memory_cmd(), "install", "claude-code"],
        env=subprocess_env(),
        check=True,
        capture_output=True,
    )
    data = json.loads((config / "settings.json").read_text())
    command = commands(data, "UserPromptSubmit")[0]
    project = tmp_path / "proj"
    project.mkdir()
    payload = {
        "session_id": "s1",
        "transcript_path": str(tmp_path / "t.jsonl"),
        "cwd": str(project),
        "hook_event_name": "UserPromptSubmit",
        "prompt": "anything worth remembering here?",
    }
    env = subprocess_env(PATH="/usr/bin:/bin")

    proc = subprocess.run(
        ["/bin/sh", "-c", command],
        input=json.dumps(payload),
        env=env,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == ""  # no memory folder for this project yet: nothing to add


# --- issue 12: a shared project file, clean uninstall, backups outside the repository ---


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `memory` program on PATH, as a pipx install would give."""
    bin_dir = tmp_path / "pipx-bin"
    bin_dir.mkdir()
    exe = bin_dir / "memory"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


def test_project_install_runs_memory_from_path_not_this_machines_path(
    runner: CliRunner, project: Path, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path(tmp_path, monkeypatch)
    result = runner.invoke(cli, ["install", "claude-code", "--project"])
    assert result.exit_code == 0, result.output
    text = (project / ".claude" / "settings.json").read_text()
    data = json.loads(text)
    assert commands(data, "Stop") == ["memory hook claude-code stop"]
    assert str(tmp_path) not in text  # no absolute path of this machine in a shared file
    local = runner.invoke(cli, ["install", "claude-code", "--local"])
    assert local.exit_code == 0, local.output
    local_data = json.loads((project / ".claude" / "settings.local.json").read_text())
    assert os.path.isabs(shlex.split(commands(local_data, "Stop")[0])[0])


def test_project_install_is_refused_when_memory_is_not_on_path(
    runner: CliRunner, project: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = runner.invoke(cli, ["install", "claude-code", "--project"])
    assert result.exit_code == 2
    assert "not on PATH here" in result.stderr and "--local" in result.stderr
    assert not (project / ".claude").exists()


@pytest.mark.parametrize(
    "flags", [["--project", "--local"], ["--user", "--project"], ["--user", "--local"]]
)
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_two_scopes_at_once_are_refused(
    runner: CliRunner, project: Path, config: Path, command: str, flags: list[str]
) -> None:
    result = runner.invoke(cli, [command, "claude-code", *flags])
    assert result.exit_code == 2
    assert "use only one of" in result.stderr
    assert not (project / ".claude").exists() and not config.exists()


def test_uninstalling_the_last_hooks_removes_the_file_and_leaves_no_backup_in_the_repo(
    runner: CliRunner, project: Path, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path(tmp_path, monkeypatch)
    assert runner.invoke(cli, ["install", "claude-code", "--project"]).exit_code == 0
    settings = project / ".claude" / "settings.json"
    installed = settings.read_text()

    result = runner.invoke(cli, ["uninstall", "claude-code", "--project", "--json"])

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["removed_file"] is True and answer["changed"] is True
    assert not settings.exists()
    assert sorted(p.name for p in (project / ".claude").iterdir()) == []
    backup = Path(answer["backup"])
    assert not backup.is_relative_to(project)
    assert backup.is_relative_to(state_dir())
    assert backup.read_text() == installed


def test_backups_go_to_the_state_folder(runner: CliRunner, config: Path) -> None:
    settings = config / "settings.json"
    original = write_settings(settings, THEIRS)
    result = runner.invoke(cli, ["install", "claude-code", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["events"] == ["UserPromptSubmit", "Stop", "SessionEnd"]
    assert Path(answer["backup"]).read_text() == original
    assert Path(answer["backup"]).is_relative_to(state_dir())
    assert backups(config) == [Path(answer["backup"])]
