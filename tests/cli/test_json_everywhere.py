"""Every command that offers --json prints what `memdir_cli.shapes` (and so the README)
says it prints: this walks the whole command tree, so a new command with --json and no
shape, or no way to run it here, fails."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from memdir_cli import shapes
from memdir_cli.main import cli
from memdir_cli.output import JSON_REQUESTED
from memdir_cli.reference import commands

from memdir.store import MemoryDir
from tests.extract_helpers import correction_lines, write_lines
from tests.fake_anthropic import FakeAnthropic


@dataclass
class Here:
    """What a recipe may set up: the store, a scratch folder, the fake model."""

    store: MemoryDir
    tmp: Path
    fake: FakeAnthropic
    monkeypatch: pytest.MonkeyPatch

    def remote(self) -> str:
        """A bare git repository to use as a team remote (a path is a git URL too)."""
        path = self.tmp / "remote.git"
        if not path.exists():
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
        return str(path)

    def team(self) -> None:
        run(self.store, ["team", "init", self.remote()])

    def transcript(self) -> str:
        return str(write_lines(self.tmp / "s1.jsonl", correction_lines()))


Recipe = Callable[[Here], list[str]]


def _forgotten(here: Here) -> list[str]:
    run(here.store, ["forget", "old_notes", "--yes"])
    return ["old_notes"]


def _with_team(args: list[str]) -> Recipe:
    def recipe(here: Here) -> list[str]:
        here.team()
        return args

    return recipe


def _dreamt(here: Here) -> list[str]:
    run(here.store, ["dream", "--offline"])
    return ["--show"]


def _extract_queued(here: Here) -> list[str]:
    # Queued for a detached process: its start is replaced, no process is left behind.
    here.monkeypatch.setattr("memdir.extract.schedule.spawn_detached", lambda *a, **k: None)
    return ["--transcript", here.transcript()]


def _extract_wait(here: Here) -> list[str]:
    here.fake.reply_text("Nothing worth keeping.")
    return ["--transcript", here.transcript(), "--wait"]


#: How to run each command with --json on the fixture store: one recipe per shape it can
#: print (options that change the output get their own).
RECIPES: dict[str, list[Recipe]] = {
    "memory where": [lambda h: []],
    "memory list": [lambda h: []],
    "memory show": [lambda h: ["deploy_freeze"]],
    "memory add": [
        lambda h: ["--type", "user", "--name", "Role", "--description", "Go dev", "--body", "b"]
    ],
    "memory forget": [lambda h: ["old_notes", "--yes"]],
    "memory index": [lambda h: [], lambda h: ["--check"]],
    "memory prompt": [lambda h: []],
    "memory recall": [lambda h: ["when is the deploy freeze", "--offline", "--no-daemon"]],
    "memory search": [lambda h: ["deploy"]],
    "memory stats": [lambda h: []],
    "memory lint": [lambda h: ["--no-verify"]],
    "memory doctor": [lambda h: []],
    "memory extract": [_extract_queued, _extract_wait],
    "memory watch": [lambda h: ["--status"]],
    "memory install claude-code": [lambda h: ["--dry-run"]],
    "memory uninstall claude-code": [lambda h: ["--dry-run"]],
    "memory log": [lambda h: [], lambda h: ["--path"], lambda h: ["deploy_freeze"]],
    "memory undo": [lambda h: []],
    "memory restore": [_forgotten],
    "memory history prune": [lambda h: ["--before", "2000-01-01"]],
    "memory dream": [lambda h: ["--offline"], lambda h: ["--status"], _dreamt],
    "memory team init": [lambda h: [h.remote()]],
    "memory team status": [lambda h: [], _with_team([])],
    "memory team sync": [_with_team([])],
}


def json_commands() -> dict[str, click.Command]:
    return {
        ctx.command_path: command
        for ctx, command in commands(cli)
        if not isinstance(command, click.Group) and _json_param(command) is not None
    }


def _json_param(command: click.Command) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and "--json" in param.opts:
            return param
    return None


def run(store: MemoryDir, words: list[str]) -> click.testing.Result:
    return CliRunner().invoke(cli, ["--dir", str(store.path), *words])


@pytest.fixture
def here(
    memory_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_anthropic: FakeAnthropic,
) -> Here:
    folder = MemoryDir(memory_dir, actor="cli")
    folder.save(
        name="Deploy freeze",
        description="No deploys during the december freeze",
        type="project",
        body="From 2026-12-15.",
    )
    folder.save(name="Old notes", description="Notes nobody needs", type="project", body="b")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    for name in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(name, "Test")
    for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(name, "test@example.org")
    return Here(folder, tmp_path, fake_anthropic, monkeypatch)


def test_every_json_command_has_a_documented_shape_and_a_recipe() -> None:
    found = set(json_commands())
    assert found, "no command offers --json?"
    missing = sorted(found - set(shapes.COMMANDS))
    assert not missing, f"--json without a shape in memdir_cli/shapes.py: {missing}"
    untested = sorted(found - set(RECIPES))
    assert not untested, f"--json without a recipe in this test: {untested}"
    gone = sorted((set(shapes.COMMANDS) | set(RECIPES)) - found)
    assert not gone, f"shapes or recipes for commands without --json: {gone}"


def test_every_json_option_reports_refusals_as_json_too() -> None:
    for path, command in json_commands().items():
        param = _json_param(command)
        assert param is not None
        ctx = click.Context(command)
        param.process_value(ctx, True)
        assert ctx.meta.get(JSON_REQUESTED), f"{path}: --json is not `json_option()`"


CASES = [(path, i) for path, recipes in sorted(RECIPES.items()) for i in range(len(recipes))]


@pytest.mark.parametrize(("path", "variant"), CASES, ids=[f"{p}-{i}" for p, i in CASES])
def test_json_output_has_the_documented_shape(here: Here, path: str, variant: int) -> None:
    if path not in json_commands():
        pytest.fail(f"{path} has no --json option")
    args = RECIPES[path][variant](here)
    result = run(here.store, [*path.split()[1:], *args, "--json"])
    assert result.stdout.strip(), (result.exit_code, result.stderr)
    data = json.loads(result.stdout)
    assert not (isinstance(data, dict) and "error" in data), (result.exit_code, data)
    assert shapes.problems(data, shapes.COMMANDS[path]) == [], data


def test_a_refused_request_prints_the_error_record(here: Here) -> None:
    result = run(here.store, ["show", "no_such_memory", "--json"])
    data = json.loads(result.stdout)
    assert shapes.problems(data, shapes.Ref("error")) == []
    assert result.exit_code == data["exit_code"] != 0


def test_the_checker_notices_a_wrong_shape() -> None:
    memory = {"filename": "a.md", "path": "/a.md", "name": "A", "description": "d", "type": None}
    assert shapes.problems(memory, shapes.Ref("memory")) == [
        "$: key 'age_days' is missing",
        "$: key 'source' is missing",
    ]
    wrong = {**memory, "age_days": "3", "source": "team"}
    assert shapes.problems(wrong, shapes.Ref("memory")) == ["$.age_days: integer expected, got '3'"]
    assert shapes.problems([wrong], [shapes.Ref("memory")])[0].startswith("$[0].age_days")
    assert shapes.problems(
        {"squashed": True, "before": "x"}, shapes.COMMANDS["memory history prune"]
    )
