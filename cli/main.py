"""Entry point: the root group, error translation, and command registration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from memdir.errors import MemdirError
from memdir.paths import resolve_memory_dir
from memdir.store import MemoryDir


class MemoryGroup(click.Group):
    """Root group: our errors become 'Error: ...' on stderr plus their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MemdirError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=MemoryGroup)
@click.option(
    "--dir",
    "directory",
    envvar="MEMDIR_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Memory folder (env MEMDIR_DIR). Default: Claude Code's folder for this project.",
)
@click.version_option(package_name="memdir")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None) -> None:
    """memdir: an AI agent's memory as plain Markdown files.

    \b
    Quick start:
        memory --dir ./memories init
        memory --dir ./memories add --type user --name "Role" \\
            --description "Senior Go engineer, new to React" --body "..."
        memory --dir ./memories recall "how should I explain the frontend code?"
    """
    ctx.obj = MemoryDir(resolve_memory_dir(directory))


def _register() -> None:
    from . import commands_store

    for command in commands_store.COMMANDS:
        cli.add_command(command)
    for module_name in (
        "commands_recall",
        "commands_lint",
        "commands_extract",
        "commands_watch",
        "commands_hook",
        "commands_mcp",
    ):
        try:
            module = __import__(f"{__package__}.{module_name}", fromlist=["COMMANDS"])
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module_name}":
                raise
            continue
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="memory")
