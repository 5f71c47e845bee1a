"""In-repo mode's pre-commit hook: credentials and invalid memories are refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

GIT_ENV = {"GIT_AUTHOR_NAME": "a", "GIT_COMMITTER_NAME": "a",
           "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_EMAIL": "a@x"}  # fmt: skip
PLANTED = "ghp_" + "TBS6KbdkIgqvbxMtJmImixsNEmdWD87N6Vaz"


def git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    monkeypatch.chdir(root)
    folder = tmp_path / "mem"
    runner = CliRunner()
    assert runner.invoke(cli, ["--dir", str(folder), "team", "init", "--in-repo"]).exit_code == 0
    result = runner.invoke(cli, ["--dir", str(folder), "install", "git-hook"])
    assert result.exit_code == 0, result.output
    assert "pre-commit" in result.output
    return root


def _memory(body: str) -> str:
    return f"---\nname: CI\ndescription: How CI deploys\ntype: project\n---\n{body}\n"


def test_a_valid_memory_commits(project: Path) -> None:
    team = project / ".claude" / "team-memory"
    (team / "ci.md").write_text(_memory("CI deploys on green main."))
    git(project, "add", "-A")
    assert git(project, "commit", "-qm", "memory").returncode == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_memory(f"token {PLANTED}"), "credential"),
        ("no frontmatter at all\n", "not a valid memory"),
    ],
)
def test_a_credential_or_an_invalid_memory_is_refused(
    project: Path, text: str, reason: str
) -> None:
    team = project / ".claude" / "team-memory"
    (team / "bad.md").write_text(text)
    git(project, "add", "-A")
    result = git(project, "commit", "-qm", "memory")
    assert result.returncode != 0
    assert "bad.md" in result.stderr and reason in result.stderr
    assert git(project, "log", "--oneline").stdout == ""


def test_files_outside_the_team_folder_are_not_checked(project: Path) -> None:
    (project / "notes.md").write_text("no frontmatter, and not a memory\n")
    git(project, "add", "-A")
    assert git(project, "commit", "-qm", "notes").returncode == 0


def test_without_in_repo_mode_the_hook_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "m"), "install", "git-hook"])
    assert result.exit_code == 2 and "--in-repo" in result.stderr
