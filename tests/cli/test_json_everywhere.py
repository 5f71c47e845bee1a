"""Every command whose output is data has --json, and its output has the documented shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from memdir_cli.main import cli
from memdir_cli.reference import commands

from memdir.store import MemoryDir

#: The record shapes the README documents, by name: the keys every record has.
MEMORY = {"filename", "path", "name", "description", "type", "age_days", "source"}
LINT_PROBLEM = {"file", "rule", "severity", "field", "message"}
RECALL_RESULT = {"query", "selector", "memories"}
CHECK = {"name", "status", "detail", "fix"}


def has(keys: set[str]) -> Callable[[Any], bool]:
    return lambda record: isinstance(record, dict) and keys <= set(record)


#: How to run each command with --json here, and what its output must hold. A command
#: added to the group with a --json option and no entry here fails
#: `test_every_json_command_has_a_recipe`, so the shapes stay documented and checked.
RECIPES: dict[str, tuple[list[str], Callable[[Any], bool]]] = {
    "memory where": ([], lambda d: set(d) == {"path", "reason"}),
    "memory list": ([], lambda d: all(map(has(MEMORY), d["memories"]))),
    "memory show": (["deploy_freeze"], has(MEMORY | {"body", "extra"})),
    "memory add": (
        ["--type", "user", "--name", "Role", "--description", "Senior Go engineer", "--body", "b"],
        lambda d: has(MEMORY)(d["saved"]) and isinstance(d["warnings"], list),
    ),
    "memory forget": (
        ["old_notes", "--yes"],
        lambda d: all(map(has(MEMORY), d["deleted"])) and isinstance(d["undo"], str),
    ),
    "memory prompt": ([], lambda d: {"memory_dir", "prompt", "index"} <= set(d)),
    "memory index": (["--check"], lambda d: isinstance(d["problems"], list)),
    "memory lint": (["--no-verify"], lambda d: all(map(has(LINT_PROBLEM), d["problems"]))),
    "memory recall": (
        ["when is the deploy freeze", "--offline", "--no-daemon"],
        has(RECALL_RESULT),
    ),
    "memory stats": ([], lambda d: {"memory_dir", "counters"} <= set(d)),
    "memory doctor": ([], lambda d: all(map(has(CHECK), d["checks"]))),
    "memory extract": (
        ["--transcript", "missing.jsonl"],
        lambda d: isinstance(d.get("error"), str),
    ),
    "memory watch": (["--status"], lambda d: isinstance(d, list)),
    "memory install claude-code": (["--dry-run"], lambda d: {"path", "events"} <= set(d)),
    "memory uninstall claude-code": (["--dry-run"], lambda d: {"path", "events"} <= set(d)),
}


#: Commands whose --json their own tests cover: running them here would start a
#: consolidation or need a git remote.
TESTED_ELSEWHERE = {
    "memory dream": "tests/dream",
    "memory team init": "tests/team",
    "memory team status": "tests/team",
    "memory team sync": "tests/team",
    "memory search": "tests/cli/test_search.py",
}


def json_commands() -> list[str]:
    return [
        ctx.command_path
        for ctx, command in commands(cli)
        if not isinstance(command, click.Group)
        and any("--json" in p.opts for p in command.params if isinstance(p, click.Option))
    ]


@pytest.fixture
def store(memory_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MemoryDir:
    folder = MemoryDir(memory_dir)
    folder.save(
        name="Deploy freeze",
        description="No deploys during the december freeze",
        type="project",
        body="From 2026-12-15.",
    )
    folder.save(name="Old notes", description="Notes nobody needs", type="project", body="b")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    return folder


def test_the_store_and_setup_commands_all_have_a_recipe() -> None:
    # Commands other helpers add later are picked up by `json_commands`; the ones this
    # module knows must all be checked here or where their own tests live.
    found = set(json_commands())
    assert set(RECIPES) <= found, sorted(set(RECIPES) - found)
    for path in ("memory where", "memory add", "memory forget", "memory prompt"):
        assert path in found, f"{path} lost its --json"


@pytest.mark.parametrize("path", sorted(RECIPES))
def test_json_output_has_the_documented_shape(store: MemoryDir, path: str) -> None:
    if path not in json_commands():
        pytest.fail(f"{path} has no --json option")
    args, valid = RECIPES[path]
    words = path.split()[1:]
    result = CliRunner().invoke(cli, ["--dir", str(store.path), *words, *args, "--json"])
    assert result.stdout.strip(), result.stderr
    data = json.loads(result.stdout)
    assert valid(data), data
