"""The README documents every command, and its first two commands are the Makefile's."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from memdir_cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "memory") -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if command.hidden:
            continue
        out.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix} {name}")
    return out


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(path: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{path} has no help text"
    assert f"`{path}" in README, f"{path} is not in the README"


def test_readme_first_two_commands_are_the_makefile_targets() -> None:
    blocks = re.findall(r"```(?:sh|bash|shell)?\n(.*?)```", README, re.S)
    first_lines = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.strip()]
    assert first_lines[:2] == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_the_readme_cli_reference_is_the_help_of_every_command() -> None:
    from memdir_cli.reference import render, section

    current = section(README)
    assert current, "the README has no CLI reference markers"
    assert current == render(cli), "the README's CLI reference is stale: run `make reference`"


def test_the_readme_json_shapes_are_the_ones_the_commands_are_checked_against() -> None:
    from memdir_cli import shapes

    current = shapes.section(README)
    assert current, "the README has no JSON shapes markers"
    assert current == shapes.render(), "the README's JSON shapes are stale: run `make reference`"


def test_the_quickstart_warns_that_memdir_dir_redirects_the_hooks() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "`MEMDIR_DIR`" in quickstart and "Claude Code hooks" in quickstart
    assert "every project" in quickstart
