"""The root command group: lazy command loading and the one place errors are translated."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from memdir.errors import MemdirError
from memdir.paths import resolve_memory_dir
from memdir.store.folder import MemoryDir

#: Command name -> module of this package that defines it (in its COMMANDS list).
#: Modules are imported only when their command runs, so `memory recall` or a hook does
#: not pay for the extractor, the daemon or the MCP SDK.
LAZY_COMMANDS: dict[str, str] = {
    "where": "commands_store",
    "init": "commands_store",
    "list": "commands_store",
    "show": "commands_store",
    "add": "commands_store",
    "edit": "commands_store",
    "forget": "commands_store",
    "index": "commands_store",
    "prompt": "commands_store",
    "recall": "commands_recall",
    "stats": "commands_recall",
    "search": "commands_search",
    "lint": "commands_lint",
    "extract": "commands_extract",
    "watch": "commands_watch",
    "hook": "commands_hook",
    "install": "commands_hook",
    "uninstall": "commands_hook",
    "mcp": "commands_mcp",
    "log": "commands_history",
    "diff": "commands_history",
    "undo": "commands_history",
    "restore": "commands_history",
    "history": "commands_history",
    "dream": "commands_dream",
    "team": "commands_team",
    "share": "commands_team",
    "unshare": "commands_team",
}


class MemoryGroup(click.Group):
    """Root group: loads commands on demand, and turns our errors into 'Error: ...'."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*LAZY_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module_name = LAZY_COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"{__package__}.{module_name}")
        for command in module.COMMANDS:
            self.add_command(command)
        return self.commands.get(cmd_name)

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
    if ctx.invoked_subcommand == "hook":
        # Hooks find the folder from their JSON input and must never fail on their way
        # in (a bad setting would otherwise exit 2, which erases the user's prompt).
        return
    ctx.obj = MemoryDir(resolve_memory_dir(directory), actor="cli")
