"""The root command group: lazy command loading and the one place errors are translated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from memdir.errors import MemdirError
from memdir.paths import resolve_memory_dir
from memdir.store import MemoryDir

from .output import JSON_REQUESTED, echo_json

# Each loader imports one module of commands when one of its commands runs, so `memory
# recall` or a hook does not pay for the extractor, the daemon or the MCP SDK. To add a
# command module: write a loader below, then map each of its command names to it.


def _store() -> Sequence[click.Command]:
    from . import commands_store

    return commands_store.COMMANDS


def _recall() -> Sequence[click.Command]:
    from . import commands_recall

    return commands_recall.COMMANDS


def _search() -> Sequence[click.Command]:
    from . import commands_search

    return commands_search.COMMANDS


def _lint() -> Sequence[click.Command]:
    from . import commands_lint

    return commands_lint.COMMANDS


def _extract() -> Sequence[click.Command]:
    from . import commands_extract

    return commands_extract.COMMANDS


def _watch() -> Sequence[click.Command]:
    from . import commands_watch

    return commands_watch.COMMANDS


def _hook() -> Sequence[click.Command]:
    from . import commands_hook

    return commands_hook.COMMANDS


def _mcp() -> Sequence[click.Command]:
    from . import commands_mcp

    return commands_mcp.COMMANDS


def _history() -> Sequence[click.Command]:
    from . import commands_history

    return commands_history.COMMANDS


def _doctor() -> Sequence[click.Command]:
    from . import commands_doctor

    return commands_doctor.COMMANDS


def _dream() -> Sequence[click.Command]:
    from . import commands_dream

    return commands_dream.COMMANDS


def _team() -> Sequence[click.Command]:
    from . import commands_team

    return commands_team.COMMANDS


#: Command name -> the loader of the module that defines it.
LAZY_COMMANDS: dict[str, Callable[[], Sequence[click.Command]]] = {
    "where": _store,
    "init": _store,
    "list": _store,
    "show": _store,
    "add": _store,
    "edit": _store,
    "forget": _store,
    "index": _store,
    "prompt": _store,
    "recall": _recall,
    "stats": _recall,
    "search": _search,
    "lint": _lint,
    "extract": _extract,
    "watch": _watch,
    "hook": _hook,
    "install": _hook,
    "uninstall": _hook,
    "mcp": _mcp,
    "log": _history,
    "diff": _history,
    "undo": _history,
    "restore": _history,
    "history": _history,
    "doctor": _doctor,
    "completion": _doctor,
    "dream": _dream,
    "team": _team,
    "share": _team,
    "unshare": _team,
}


class MemoryGroup(click.Group):
    """Root group: loads commands on demand, and turns our errors into 'Error: ...'."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*LAZY_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        loader = LAZY_COMMANDS.get(cmd_name)
        if loader is None:
            return None
        for command in loader():
            self.add_command(command)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MemdirError as exc:
            if ctx.meta.get(JSON_REQUESTED):
                # `--json` callers parse stdout: a failure is data for them too.
                echo_json(
                    {
                        "error": str(exc),
                        "path": str(exc.path) if exc.path else None,
                        "field": exc.field,
                        "exit_code": exc.exit_code,
                    }
                )
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=MemoryGroup)
@click.option(
    "--dir",
    "directory",
    envvar="MEMDIR_DIR",
    type=click.Path(file_okay=False),
    help="Memory folder (env MEMDIR_DIR). Default: Claude Code's folder for this project.",
)
@click.version_option(package_name="memdir")
@click.pass_context
def cli(ctx: click.Context, directory: str | None) -> None:
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
