"""`memory team ...`, `memory share`, `memory unshare` through the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner
from memdir_cli.main import cli

from tests.team.conftest import (
    GitServer,
    git_server,  # noqa: F401 - the fixture
)


def run(folder: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--dir", str(folder), *args], catch_exceptions=False)


def test_init_add_sync_status_share(git_server: GitServer, tmp_path: Path) -> None:  # noqa: F811
    url = git_server.create()
    folder = tmp_path / "mem"
    result = run(folder, "team", "init", url)
    assert result.exit_code == 0, result.output
    assert "a new team memory" in result.output
    add = run(
        folder, "add", "--type", "project", "--name", "Freeze",
        "--description", "No deploys in the december freeze", "--body", "b",
    )  # fmt: skip
    assert add.exit_code == 0 and "team/freeze.md" in add.output
    private = run(
        folder, "add", "--type", "project", "--private", "--name", "Mine",
        "--description", "A private project note", "--body", "b",
    )  # fmt: skip
    assert private.exit_code == 0 and "team/" not in private.output
    status = json.loads(run(folder, "team", "status", "--json").output)
    assert status["mode"] == "git" and status["local_changes"] == ["freeze.md"]
    synced = json.loads(run(folder, "team", "sync", "--json").output)
    assert synced["committed"] == ["freeze.md"] and synced["pushed"] is True
    listed = json.loads(run(folder, "list", "--json").output)["memories"]
    assert {m["filename"]: m["source"] for m in listed} == {
        "team/freeze.md": "team",
        "mine.md": "private",
    }
    table = run(folder, "list").output
    assert "Freeze (team)" in table and "Mine (team)" not in table
    shared = run(folder, "share", "Mine")
    assert shared.exit_code == 0 and "team/mine.md" in shared.output
    text = run(folder, "team", "status").output
    assert "Not shared yet: 1 changed file(s)" in text and "mine.md" in text
    assert run(folder, "unshare", "mine").exit_code == 0


def test_wrong_remote_fails_naming_it(git_server: GitServer, tmp_path: Path) -> None:  # noqa: F811
    url = git_server.url("missing")
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "m"), "team", "init", url])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and url in result.stderr
    assert "does not exist" in result.stderr


def test_status_and_sync_without_a_team(tmp_path: Path) -> None:
    folder = tmp_path / "mem"
    assert "No team folder" in run(folder, "team", "status").output
    result = CliRunner().invoke(cli, ["--dir", str(folder), "team", "sync"])
    assert result.exit_code == 2 and "memory team init" in result.stderr


def test_init_in_repo(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    monkeypatch.chdir(project)
    folder = tmp_path / "mem"
    result = run(folder, "team", "init", "--in-repo")
    assert result.exit_code == 0, result.output
    team = project / ".claude" / "team-memory"
    assert team.is_dir()
    add = run(
        folder, "add", "--type", "reference", "--name", "Tracker",
        "--description", "Bugs live in the INFRA project", "--body", "Linear INFRA.",
    )  # fmt: skip
    assert add.exit_code == 0, add.output
    assert (team / "tracker.md").exists()
    listed = json.loads(run(folder, "list", "--json").output)["memories"]
    assert [(m["filename"], m["source"]) for m in listed] == [("team/tracker.md", "team")]
    assert "(team/tracker.md)" in (folder / "MEMORY.md").read_text()
    sync = CliRunner().invoke(cli, ["--dir", str(folder), "team", "sync"])
    assert sync.exit_code == 2 and "never commits" in sync.stderr
    # memdir never committed in the project's repository
    log = subprocess.run(["git", "log", "--oneline"], cwd=project, capture_output=True, text=True)
    assert log.stdout == ""
